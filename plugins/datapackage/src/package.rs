//! The `datapackage.json` descriptor: what the package is, where its data is and how to read it.
//!
//! It follows Data Package v1 (<https://specs.frictionlessdata.io/data-package/>) with the
//! `tabular-data-package` profile, which the Python and R frictionless libraries read, plus
//! Tabular Data Resource, Table Schema and CSV Dialect for the one resource. Tessera's own
//! provenance (dataset id, version, the version's SHA-256, export time) goes in a `tessera`
//! property, which the spec allows beside its own. The descriptor is built when the export
//! starts and completed at the end, once the CSV's size, hash and row count are known.

use serde::Serialize;
use tessera_csv_encoder::{DEFAULT_DATE_FORMAT, LineEnding};
use tessera_plugin_sdk::{ColumnType, DatasetInfo, ExportRequest};

/// The CSV layout the descriptor has to describe.
pub struct CsvLayout<'a> {
    pub delimiter: char,
    pub line_ending: LineEnding,
    pub null_text: &'a str,
    pub date_format: &'a str,
    /// `None` is Table Schema's default: ISO 8601 with a `Z`.
    pub datetime_format: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct Descriptor {
    profile: &'static str,
    name: String,
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    version: String,
    created: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keywords: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<License>,
    tessera: Provenance,
    resources: [Resource; 1],
}

#[derive(Debug, Serialize)]
struct License {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
}

#[derive(Debug, Serialize)]
struct Provenance {
    dataset_id: String,
    dataset_version: u32,
    version_sha256: String,
    exported_at: String,
    /// The dataset's licence as Tessera has it, also when `licenses` could not say it.
    #[serde(skip_serializing_if = "Option::is_none")]
    licence: Option<String>,
}

#[derive(Debug, Serialize)]
struct Resource {
    name: String,
    path: String,
    profile: &'static str,
    format: &'static str,
    mediatype: &'static str,
    encoding: &'static str,
    bytes: u64,
    hash: String,
    rows: u64,
    dialect: Dialect,
    schema: TableSchema,
}

/// CSV Dialect 1.2 (<https://specs.frictionlessdata.io/csv-dialect/>).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Dialect {
    delimiter: String,
    line_terminator: &'static str,
    quote_char: &'static str,
    double_quote: bool,
    header: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TableSchema {
    fields: Vec<Field>,
    missing_values: [String; 1],
}

#[derive(Debug, Serialize)]
struct Field {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<String>,
}

impl Descriptor {
    /// The descriptor of an export of `request` written as `layout` says, with the data's size,
    /// hash and rows still zero.
    pub fn new(request: &ExportRequest, layout: &CsvLayout<'_>) -> Self {
        let dataset = &request.dataset;
        let name = package_name(dataset);
        let fields = request
            .schema
            .iter()
            .map(|column| {
                let (kind, format) = match column.kind {
                    ColumnType::Boolean => ("boolean", None),
                    ColumnType::Int64 => ("integer", None),
                    ColumnType::Float64 => ("number", None),
                    ColumnType::Utf8 => ("string", None),
                    ColumnType::Date => (
                        "date",
                        (layout.date_format != DEFAULT_DATE_FORMAT)
                            .then(|| layout.date_format.to_owned()),
                    ),
                    ColumnType::Datetime => ("datetime", layout.datetime_format.map(str::to_owned)),
                    // Every value is missing, so any type would do; `any` says nothing false.
                    ColumnType::Null => ("any", None),
                };
                Field {
                    name: column.name.clone(),
                    kind,
                    format,
                }
            })
            .collect();
        Descriptor {
            profile: "tabular-data-package",
            name: name.clone(),
            title: dataset.name.clone(),
            description: dataset.description.clone(),
            version: dataset.version.to_string(),
            created: request.exported_at.clone(),
            keywords: dataset.tags.clone(),
            licenses: dataset
                .licence
                .as_deref()
                .and_then(license)
                .into_iter()
                .collect(),
            tessera: Provenance {
                dataset_id: dataset.id.clone(),
                dataset_version: dataset.version,
                version_sha256: dataset.version_sha256.clone(),
                exported_at: request.exported_at.clone(),
                licence: dataset.licence.clone(),
            },
            resources: [Resource {
                path: format!("data/{name}.csv"),
                name,
                profile: "tabular-data-resource",
                format: "csv",
                mediatype: "text/csv",
                encoding: "utf-8",
                bytes: 0,
                hash: String::new(),
                rows: 0,
                dialect: Dialect {
                    delimiter: layout.delimiter.to_string(),
                    line_terminator: layout.line_ending.as_str(),
                    quote_char: "\"",
                    double_quote: true,
                    header: true,
                },
                schema: TableSchema {
                    fields,
                    missing_values: [layout.null_text.to_owned()],
                },
            }],
        }
    }

    /// Where the CSV goes inside the zip.
    pub fn data_path(&self) -> &str {
        &self.resources[0].path
    }

    /// Records what the CSV turned out to be: its size, SHA-256 (hex) and data rows.
    pub fn record_data(&mut self, bytes: u64, sha256_hex: String, rows: u64) {
        let resource = &mut self.resources[0];
        resource.bytes = bytes;
        // The spec's form for a hash other than MD5.
        resource.hash = format!("sha256:{sha256_hex}");
        resource.rows = rows;
    }

    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        Ok(json)
    }
}

/// The package's (and resource's) name: the dataset's name as Data Package names must be,
/// lower-case ASCII letters, digits, `-` and `_` (`.` is allowed too, but would read as a file
/// extension), with common accented letters folded to plain ones; the dataset id when the name
/// leaves nothing.
pub fn package_name(dataset: &DatasetInfo) -> String {
    [dataset.name.as_str(), dataset.id.as_str()]
        .into_iter()
        .map(slug)
        .find(|slug| !slug.is_empty())
        .unwrap_or_else(|| "dataset".to_owned())
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    let mut push = |ch: char| {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            if gap && !out.is_empty() {
                out.push('-');
            }
            gap = false;
            out.push(ch);
        } else {
            gap = true;
        }
    };
    for ch in text.chars().flat_map(char::to_lowercase) {
        match fold_accent(ch) {
            Some(plain) => plain.chars().for_each(&mut push),
            None => push(ch),
        }
    }
    out
}

/// The plain Latin letters of a lower-case accented one, for the letters of European languages.
fn fold_accent(ch: char) -> Option<&'static str> {
    Some(match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Well-known licences by SPDX id (<https://spdx.org/licenses/>), with where to read them.
const KNOWN_LICENSES: &[(&str, &str, &str)] = &[
    (
        "CC0-1.0",
        "https://creativecommons.org/publicdomain/zero/1.0/",
        "Creative Commons Zero v1.0 Universal",
    ),
    (
        "CC-BY-4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        "Creative Commons Attribution 4.0 International",
    ),
    (
        "CC-BY-SA-4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
        "Creative Commons Attribution Share Alike 4.0 International",
    ),
    (
        "CC-BY-NC-4.0",
        "https://creativecommons.org/licenses/by-nc/4.0/",
        "Creative Commons Attribution Non Commercial 4.0 International",
    ),
    (
        "CC-BY-ND-4.0",
        "https://creativecommons.org/licenses/by-nd/4.0/",
        "Creative Commons Attribution No Derivatives 4.0 International",
    ),
    (
        "CC-BY-NC-SA-4.0",
        "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        "Creative Commons Attribution Non Commercial Share Alike 4.0 International",
    ),
    (
        "CC-BY-NC-ND-4.0",
        "https://creativecommons.org/licenses/by-nc-nd/4.0/",
        "Creative Commons Attribution Non Commercial No Derivatives 4.0 International",
    ),
    (
        "ODbL-1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
        "Open Data Commons Open Database License v1.0",
    ),
    (
        "ODC-By-1.0",
        "https://opendatacommons.org/licenses/by/1-0/",
        "Open Data Commons Attribution License v1.0",
    ),
    (
        "PDDL-1.0",
        "https://opendatacommons.org/licenses/pddl/1-0/",
        "Open Data Commons Public Domain Dedication & License 1.0",
    ),
    (
        "OGL-UK-3.0",
        "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "Open Government Licence v3.0",
    ),
    (
        "etalab-2.0",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "Etalab Open License 2.0",
    ),
    ("MIT", "https://opensource.org/license/mit", "MIT License"),
    (
        "Apache-2.0",
        "https://www.apache.org/licenses/LICENSE-2.0",
        "Apache License 2.0",
    ),
];

/// The `licenses` entry for the dataset's licence: a known SPDX id with its URL and title, a URL
/// as a path, another identifier as a name. Free text is neither, and the spec wants one of the
/// two, so it gets no entry (the `tessera` block still has it).
fn license(licence: &str) -> Option<License> {
    let licence = licence.trim();
    if let Some((id, path, title)) = KNOWN_LICENSES
        .iter()
        .find(|(id, _, _)| id.eq_ignore_ascii_case(licence))
    {
        return Some(License {
            name: Some((*id).to_owned()),
            path: Some((*path).to_owned()),
            title: Some((*title).to_owned()),
        });
    }
    if licence.starts_with("https://") || licence.starts_with("http://") {
        return Some(License {
            name: None,
            path: Some(licence.to_owned()),
            title: None,
        });
    }
    let identifier = !licence.is_empty()
        && licence
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '.' | '+'));
    identifier.then(|| License {
        name: Some(licence.to_owned()),
        path: None,
        title: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(name: &str, id: &str) -> DatasetInfo {
        DatasetInfo {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            version: 1,
            licence: None,
            tags: Vec::new(),
            version_sha256: String::new(),
        }
    }

    #[test]
    fn names_follow_the_data_package_rules() {
        let name = |text: &str| package_name(&dataset(text, "id-1"));
        assert_eq!(name("Rainfall 2024"), "rainfall-2024");
        assert_eq!(
            name("  Zürich: Straßen & Plätze!  "),
            "zurich-strassen-platze"
        );
        assert_eq!(name("snake_case.v2"), "snake_case-v2");
        assert_eq!(name("Ærø Œuvre"), "aero-oeuvre");
        assert_eq!(name("東京"), "id-1", "nothing left: the id");
        assert_eq!(package_name(&dataset("—", "—")), "dataset");
    }

    #[test]
    fn licences_become_license_entries_where_the_spec_can_say_them() {
        let entry = |text: &str| {
            license(text).map(|license| (license.name, license.path, license.title.is_some()))
        };
        assert_eq!(
            entry("cc-by-4.0"),
            Some((
                Some("CC-BY-4.0".into()),
                Some("https://creativecommons.org/licenses/by/4.0/".into()),
                true
            ))
        );
        assert_eq!(
            entry("https://example.org/terms"),
            Some((None, Some("https://example.org/terms".into()), false))
        );
        assert_eq!(
            entry("LGPL-3.0+"),
            Some((Some("LGPL-3.0+".into()), None, false))
        );
        assert_eq!(entry("Internal use only"), None);
        assert_eq!(entry(""), None);
    }
}
