//! The two migration sets and `db/schema.rs` describe one schema: the same tables, columns,
//! types (mapped between the backends), nullability, primary keys, unique constraints and
//! indexes, foreign keys and their `ON DELETE` actions.
//!
//! They are written by hand, three times; a column added to one and forgotten in another
//! would only show on the backend nobody tried. Each side is read back from a real database
//! after its migrations ran (SQLite's `pragma`s, PostgreSQL's catalogue), and `schema.rs`
//! from its source, then all three are compared.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use tessera::db::{AnyConnection, run_migrations};

use crate::common::{fresh_postgres_database, postgres_admin_url};

/// A column's type, in words both backends and diesel share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Text,
    Int4,
    Int8,
    Bool,
    Float8,
    Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    kind: Kind,
    nullable: bool,
}

/// A foreign key: columns → table(columns), and what deleting the parent does.
type ForeignKey = (Vec<String>, String, Vec<String>, String);

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// Column lists that are unique (unique constraints and unique indexes alike).
    unique: BTreeSet<Vec<String>>,
    /// Column lists with a plain index.
    indexed: BTreeSet<Vec<String>>,
    foreign_keys: BTreeSet<ForeignKey>,
}

type Schema = BTreeMap<String, Table>;

fn sqlite_kind(declared: &str) -> Kind {
    match declared.to_ascii_uppercase().as_str() {
        "TEXT" => Kind::Text,
        // SQLite's INTEGER holds 64 bits; the migrations say BIGINT where diesel reads i64.
        "INTEGER" => Kind::Int4,
        "BIGINT" => Kind::Int8,
        "BOOLEAN" => Kind::Bool,
        "REAL" | "DOUBLE" | "DOUBLE PRECISION" => Kind::Float8,
        "BLOB" => Kind::Bytes,
        other => panic!("SQLite column type {other} has no mapping in this test"),
    }
}

fn postgres_kind(udt: &str) -> Kind {
    match udt {
        "text" | "varchar" => Kind::Text,
        "int4" => Kind::Int4,
        "int8" => Kind::Int8,
        "bool" => Kind::Bool,
        "float8" => Kind::Float8,
        "bytea" => Kind::Bytes,
        other => panic!("PostgreSQL column type {other} has no mapping in this test"),
    }
}

fn diesel_kind(name: &str) -> Kind {
    match name {
        "Text" => Kind::Text,
        "Integer" => Kind::Int4,
        "BigInt" => Kind::Int8,
        "Bool" => Kind::Bool,
        "Double" => Kind::Float8,
        "Binary" => Kind::Bytes,
        other => panic!("schema.rs type {other} has no mapping in this test"),
    }
}

fn on_delete(action: &str) -> String {
    match action.to_ascii_uppercase().as_str() {
        // PostgreSQL's catalogue letters, and SQLite's words.
        "A" | "NO ACTION" | "" => "no action",
        "R" | "RESTRICT" => "restrict",
        "C" | "CASCADE" => "cascade",
        "N" | "SET NULL" => "set null",
        "D" | "SET DEFAULT" => "set default",
        other => panic!("unknown ON DELETE action {other}"),
    }
    .to_owned()
}

fn sqlite_schema(conn: &mut AnyConnection) -> Schema {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        r#type: String,
        #[diesel(sql_type = Bool)]
        notnull: bool,
        #[diesel(sql_type = BigInt)]
        pk: i64,
    }
    #[derive(QueryableByName)]
    struct IndexRow {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        unique: bool,
        #[diesel(sql_type = Text)]
        origin: String,
    }
    #[derive(QueryableByName)]
    struct IndexColumn {
        #[diesel(sql_type = Nullable<Text>)]
        name: Option<String>,
    }
    #[derive(QueryableByName)]
    struct ForeignKeyRow {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        table: String,
        #[diesel(sql_type = Text)]
        from: String,
        #[diesel(sql_type = Text)]
        to: String,
        #[diesel(sql_type = Text)]
        on_delete: String,
    }
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '__diesel_schema_migrations' ORDER BY name",
    )
    .load(conn)
    .unwrap();
    let mut schema = Schema::new();
    for Name { name: table } in tables {
        let mut out = Table::default();
        let columns: Vec<ColumnRow> = diesel::sql_query(format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')"
        ))
        .load(conn)
        .unwrap();
        let mut primary: Vec<(i64, String)> = Vec::new();
        for column in columns {
            if column.pk > 0 {
                primary.push((column.pk, column.name.clone()));
            }
            out.columns.insert(
                column.name,
                Column {
                    kind: sqlite_kind(&column.r#type),
                    // SQLite lets a primary key column hold NULL unless told otherwise, but no
                    // key here is ever NULL; PostgreSQL's keys are NOT NULL by definition.
                    nullable: !column.notnull && column.pk == 0,
                },
            );
        }
        primary.sort();
        out.primary_key = primary.into_iter().map(|(_, name)| name).collect();
        let indexes: Vec<IndexRow> = diesel::sql_query(format!(
            "SELECT name, \"unique\", origin FROM pragma_index_list('{table}')"
        ))
        .load(conn)
        .unwrap();
        for index in indexes {
            if index.origin == "pk" {
                continue;
            }
            let columns: Vec<IndexColumn> = diesel::sql_query(format!(
                "SELECT name FROM pragma_index_info('{}') ORDER BY seqno",
                index.name
            ))
            .load(conn)
            .unwrap();
            let columns: Vec<String> = columns
                .into_iter()
                .map(|c| c.name.unwrap_or_else(|| "<expression>".into()))
                .collect();
            if index.unique {
                out.unique.insert(columns);
            } else {
                out.indexed.insert(columns);
            }
        }
        let keys: Vec<ForeignKeyRow> = diesel::sql_query(format!(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{table}') ORDER BY id, seq"
        ))
        .load(conn)
        .unwrap();
        let mut grouped: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for key in keys {
            let entry = grouped.entry(key.id).or_insert_with(|| {
                (
                    Vec::new(),
                    key.table.clone(),
                    Vec::new(),
                    on_delete(&key.on_delete),
                )
            });
            entry.0.push(key.from);
            entry.2.push(key.to);
        }
        out.foreign_keys = grouped.into_values().collect();
        schema.insert(table, out);
    }
    schema
}

fn postgres_schema(conn: &mut AnyConnection) -> Schema {
    #[derive(QueryableByName)]
    struct ColumnRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        udt_name: String,
        #[diesel(sql_type = Text)]
        is_nullable: String,
    }
    #[derive(QueryableByName)]
    struct IndexRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Bool)]
        is_unique: bool,
        #[diesel(sql_type = Bool)]
        is_primary: bool,
        #[diesel(sql_type = Text)]
        columns: String,
    }
    #[derive(QueryableByName)]
    struct ForeignKeyRow {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        columns: String,
        #[diesel(sql_type = Text)]
        parent: String,
        #[diesel(sql_type = Text)]
        parent_columns: String,
        #[diesel(sql_type = Text)]
        on_delete: String,
    }
    let mut schema = Schema::new();
    let columns: Vec<ColumnRow> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, udt_name::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .unwrap();
    for column in columns {
        schema.entry(column.table_name).or_default().columns.insert(
            column.column_name,
            Column {
                kind: postgres_kind(&column.udt_name),
                nullable: column.is_nullable == "YES",
            },
        );
    }
    // Unique constraints are backed by unique indexes, so indexes tell both.
    let indexes: Vec<IndexRow> = diesel::sql_query(
        "SELECT t.relname::text AS table_name, i.indisunique AS is_unique, \
                i.indisprimary AS is_primary, \
                string_agg(a.attname::text, ',' ORDER BY k.ord) AS columns \
         FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' \
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE t.relname <> '__diesel_schema_migrations' \
         GROUP BY t.relname, i.indexrelid, i.indisunique, i.indisprimary",
    )
    .load(conn)
    .unwrap();
    for index in indexes {
        let table = schema.entry(index.table_name).or_default();
        let columns: Vec<String> = index.columns.split(',').map(str::to_owned).collect();
        if index.is_primary {
            table.primary_key = columns;
        } else if index.is_unique {
            table.unique.insert(columns);
        } else {
            table.indexed.insert(columns);
        }
    }
    let keys: Vec<ForeignKeyRow> = diesel::sql_query(
        "SELECT t.relname::text AS table_name, \
                string_agg(a.attname::text, ',' ORDER BY k.ord) AS columns, \
                p.relname::text AS parent, \
                string_agg(pa.attname::text, ',' ORDER BY k.ord) AS parent_columns, \
                c.confdeltype::text AS on_delete \
         FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_class p ON p.oid = c.confrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' \
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, pattnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         JOIN pg_attribute pa ON pa.attrelid = p.oid AND pa.attnum = k.pattnum \
         WHERE c.contype = 'f' \
         GROUP BY t.relname, c.oid, p.relname, c.confdeltype",
    )
    .load(conn)
    .unwrap();
    for key in keys {
        schema
            .entry(key.table_name)
            .or_default()
            .foreign_keys
            .insert((
                key.columns.split(',').map(str::to_owned).collect(),
                key.parent,
                key.parent_columns.split(',').map(str::to_owned).collect(),
                on_delete(&key.on_delete),
            ));
    }
    schema
}

/// The tables `db/schema.rs` declares: names, columns with their types, primary keys.
fn diesel_schema() -> Schema {
    let source = include_str!("../../src/db/schema.rs");
    let mut schema = Schema::new();
    let mut rest = source;
    while let Some(start) = rest.find("diesel::table! {") {
        let body = &rest[start + "diesel::table! {".len()..];
        let end = body.find("\n}").expect("a table! block ends");
        let block = &body[..end];
        rest = &body[end..];
        let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty());
        let header = lines.next().expect("a table header");
        let (name, key) = header
            .trim_end_matches('{')
            .trim()
            .split_once('(')
            .expect("table (key)");
        let mut table = Table {
            primary_key: key
                .trim_end_matches(')')
                .split(',')
                .map(|c| c.trim().to_owned())
                .collect(),
            ..Table::default()
        };
        for line in lines {
            let Some((column, ty)) = line.trim_end_matches(',').split_once("->") else {
                continue;
            };
            let ty = ty.trim();
            let (nullable, ty) = match ty.strip_prefix("Nullable<") {
                Some(inner) => (true, inner.trim_end_matches('>')),
                None => (false, ty),
            };
            table.columns.insert(
                column.trim().to_owned(),
                Column {
                    kind: diesel_kind(ty),
                    nullable,
                },
            );
        }
        schema.insert(name.trim().to_owned(), table);
    }
    schema
}

/// Differences between two schemas, one line each.
fn differences(left: &str, a: &Schema, right: &str, b: &Schema, columns_only: bool) -> Vec<String> {
    let mut found = Vec::new();
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        let (Some(x), Some(y)) = (a.get(name), b.get(name)) else {
            let side = if a.contains_key(name) { right } else { left };
            found.push(format!("table {name} is missing from {side}"));
            continue;
        };
        let columns: BTreeSet<&String> = x.columns.keys().chain(y.columns.keys()).collect();
        for column in columns {
            match (x.columns.get(column), y.columns.get(column)) {
                (Some(p), Some(q)) if p != q => found.push(format!(
                    "{name}.{column}: {left} has {p:?}, {right} has {q:?}"
                )),
                (Some(_), None) => found.push(format!("{name}.{column} is missing from {right}")),
                (None, Some(_)) => found.push(format!("{name}.{column} is missing from {left}")),
                _ => {}
            }
        }
        if x.primary_key != y.primary_key {
            found.push(format!(
                "{name}: primary key {:?} in {left}, {:?} in {right}",
                x.primary_key, y.primary_key
            ));
        }
        if columns_only {
            continue;
        }
        for (what, p, q) in [
            ("unique", &x.unique, &y.unique),
            ("indexed", &x.indexed, &y.indexed),
        ] {
            for only in p.symmetric_difference(q) {
                let side = if p.contains(only) { left } else { right };
                found.push(format!("{name}: {what} {only:?} only in {side}"));
            }
        }
        for only in x.foreign_keys.symmetric_difference(&y.foreign_keys) {
            let side = if x.foreign_keys.contains(only) {
                left
            } else {
                right
            };
            found.push(format!("{name}: foreign key {only:?} only in {side}"));
        }
    }
    found
}

#[test]
fn both_migration_sets_and_schema_rs_describe_one_schema() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite =
        AnyConnection::establish(&dir.path().join("p.db").display().to_string()).unwrap();
    run_migrations(&mut sqlite).unwrap();
    let mut postgres = AnyConnection::establish(&fresh_postgres_database(&admin)).unwrap();
    run_migrations(&mut postgres).unwrap();

    let sqlite = sqlite_schema(&mut sqlite);
    let postgres = postgres_schema(&mut postgres);
    let declared = diesel_schema();
    assert!(
        sqlite.len() >= 10,
        "{} tables read from SQLite",
        sqlite.len()
    );

    let mut found = differences("SQLite", &sqlite, "PostgreSQL", &postgres, false);
    found.extend(differences(
        "PostgreSQL",
        &postgres,
        "schema.rs",
        &declared,
        true,
    ));
    assert!(
        found.is_empty(),
        "the schemas differ:\n{}",
        found.join("\n")
    );
}

/// The comparison itself notices what it is for: a column, a type, an index, a key.
#[test]
fn a_difference_is_noticed() {
    let mut a = diesel_schema();
    let b = diesel_schema();
    assert!(differences("a", &a, "b", &b, false).is_empty());
    let users = a.get_mut("users").unwrap();
    users.columns.insert(
        "nickname".into(),
        Column {
            kind: Kind::Text,
            nullable: true,
        },
    );
    users.columns.get_mut("created_at").unwrap().kind = Kind::Int4;
    users.indexed.insert(vec!["name".into()]);
    users.foreign_keys.insert((
        vec!["id".into()],
        "teams".into(),
        vec!["id".into()],
        "cascade".into(),
    ));
    let found = differences("a", &a, "b", &b, false);
    assert_eq!(found.len(), 4, "{found:#?}");
}
