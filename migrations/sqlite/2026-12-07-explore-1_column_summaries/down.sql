DROP TABLE column_summaries;
