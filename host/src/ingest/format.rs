//! Which file formats an upload may be, recognised from the file name and the declared
//! content type.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Csv,
    Tsv,
    Parquet,
    Ndjson,
    Json,
    Xlsx,
}

/// What the error message lists as accepted.
pub const ACCEPTED: &str = "CSV (.csv), TSV (.tsv, .tab), Parquet (.parquet), NDJSON (.ndjson, .jsonl), JSON (.json) or Excel (.xlsx)";

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Csv => "csv",
            SourceFormat::Tsv => "tsv",
            SourceFormat::Parquet => "parquet",
            SourceFormat::Ndjson => "ndjson",
            SourceFormat::Json => "json",
            SourceFormat::Xlsx => "xlsx",
        }
    }

    pub fn from_filename(name: &str) -> Option<SourceFormat> {
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match extension.as_str() {
            "csv" => SourceFormat::Csv,
            "tsv" | "tab" => SourceFormat::Tsv,
            "parquet" | "pq" => SourceFormat::Parquet,
            "ndjson" | "jsonl" => SourceFormat::Ndjson,
            "json" => SourceFormat::Json,
            "xlsx" => SourceFormat::Xlsx,
            _ => return None,
        })
    }

    pub fn from_content_type(content_type: &str) -> Option<SourceFormat> {
        let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
        Some(match essence.as_str() {
            "text/csv" | "application/csv" => SourceFormat::Csv,
            "text/tab-separated-values" => SourceFormat::Tsv,
            "application/vnd.apache.parquet" | "application/x-parquet" => SourceFormat::Parquet,
            "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                SourceFormat::Ndjson
            }
            "application/json" => SourceFormat::Json,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => {
                SourceFormat::Xlsx
            }
            _ => return None,
        })
    }

    /// Content types that say nothing about the format (browsers send these for unknown
    /// extensions), so the file name decides.
    pub fn is_generic_content_type(content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        matches!(
            essence.as_str(),
            "" | "application/octet-stream" | "text/plain" | "binary/octet-stream"
        )
    }

    /// Decides the format of an upload; `Err` carries the sentence to show the user.
    pub fn detect(
        filename: Option<&str>,
        content_type: Option<&str>,
    ) -> Result<SourceFormat, String> {
        let by_name = filename.and_then(SourceFormat::from_filename);
        let declared = content_type.filter(|ct| !SourceFormat::is_generic_content_type(ct));
        match (by_name, declared) {
            (Some(format), None) => Ok(format),
            (Some(format), Some(ct)) => match SourceFormat::from_content_type(ct) {
                // A JSON file declared as NDJSON or the reverse is the same family.
                Some(declared)
                    if declared == format
                        || matches!(
                            (declared, format),
                            (SourceFormat::Json, SourceFormat::Ndjson)
                                | (SourceFormat::Ndjson, SourceFormat::Json)
                                | (SourceFormat::Csv, SourceFormat::Tsv)
                        ) =>
                {
                    Ok(format)
                }
                _ => Err(format!(
                    "the file is named like {} but was sent as '{ct}'; upload {ACCEPTED}",
                    format.as_str()
                )),
            },
            (None, Some(ct)) => SourceFormat::from_content_type(ct).ok_or_else(|| {
                format!("files of type '{ct}' are not supported; upload {ACCEPTED}")
            }),
            (None, None) => Err(match filename {
                Some(name) => format!("'{name}' is not a supported file type; upload {ACCEPTED}"),
                None => format!("the upload has no file name to tell its type; upload {ACCEPTED}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_name_and_type() {
        assert_eq!(
            SourceFormat::detect(Some("a.CSV"), Some("text/csv")),
            Ok(SourceFormat::Csv)
        );
        assert_eq!(
            SourceFormat::detect(Some("a.tsv"), Some("application/octet-stream")),
            Ok(SourceFormat::Tsv)
        );
        assert_eq!(
            SourceFormat::detect(None, Some("application/x-ndjson")),
            Ok(SourceFormat::Ndjson)
        );
        assert!(SourceFormat::detect(Some("a.csv"), Some("image/png")).is_err());
        assert!(SourceFormat::detect(Some("photo.png"), None).is_err());
    }
}
