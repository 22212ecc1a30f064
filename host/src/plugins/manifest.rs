//! `plugin.toml`: a plugin's identity and the capabilities it asks for, as data. Whether this
//! host speaks the plugin's kind and contract version is checked here ([`Manifest::validate`]);
//! what it asks of the host's capabilities is checked by each capability's unit, against what an
//! administrator approved ([`super::capabilities::Grants::validate`]). Nothing is granted that
//! the manifest does not ask for and an administrator did not approve. A plugin may ask for
//! memory, time per call and a private scratch folder with a quota; a notifier may also ask for
//! outbound hosts (`outbound_hosts`, `"*"` for any public host) and for mail through the
//! server's relay (`mail = true`), which exporters never get. Files elsewhere, environment and
//! clock are refused to every plugin.

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub id: String,
    pub name: String,
    pub version: String,
    pub kind: PluginKind,
    pub api_version: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub description: String,
    /// The component file, relative to the manifest.
    pub component: String,
    #[serde(default)]
    pub capabilities: Capabilities,
    /// What the host may assume of an exporter's output.
    #[serde(default)]
    pub exporter: ExporterTraits,
}

/// The `[exporter]` table: promises an exporter makes about its output, which let the host
/// export faster. None is assumed: a format that says nothing is run as one instance.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ExporterTraits {
    /// The output of `write-batch` depends only on the export's request and that batch's
    /// rows, never on the batches before it or on where batches are cut; `begin` and `finish`
    /// depend only on the request. The host may then give the batches of one export to
    /// several instances at once and join their output in order (it checks that every
    /// instance's `begin` and `finish` agree).
    pub parallel_batches: ParallelBatches,
    /// Another kind of file for some values of an option, where `describe()`'s media type and
    /// extension, which are fixed, would name it wrongly (JSON's `ndjson` structure is JSON
    /// Lines, not one JSON document). The first that matches the export's options wins.
    pub outputs: Vec<OutputVariant>,
    /// The option whose value is the most rows the file holds, the rest being only counted (a
    /// PDF report's table: "showing 20,000 of 300,000 rows"); 0 holds none. Its default is the
    /// options schema's. The export history then says how many rows the file holds, beside how
    /// many were read.
    pub rows_option: Option<String>,
}

/// `[[exporter.outputs]]`: `option = "structure"`, `one_of = ["ndjson"]`,
/// `media_type = "application/x-ndjson"`, `extension = "ndjson"`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutputVariant {
    pub option: String,
    pub one_of: Vec<serde_json::Value>,
    /// The `Content-Type` of such an export.
    pub media_type: String,
    /// Its file extension, without the dot.
    pub extension: String,
}

impl OutputVariant {
    /// Whether an export with these (validated) options makes this kind of file.
    pub fn matches(&self, options: &serde_json::Value) -> bool {
        options
            .get(&self.option)
            .is_some_and(|value| self.one_of.contains(value))
    }
}

/// Whether `text` is a media type a `Content-Type` header can carry: `type/subtype` of RFC
/// 6838's restricted names (section 4.2), without parameters.
fn is_media_type(text: &str) -> bool {
    let name = |part: &str| {
        (1..=127).contains(&part.len())
            && part.starts_with(|c: char| c.is_ascii_alphanumeric())
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    text.split_once('/')
        .is_some_and(|(kind, subtype)| name(kind) && name(subtype))
}

/// `parallel_batches = true`, or only for some values of one option:
/// `parallel_batches = { option = "structure", one_of = ["ndjson"] }`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ParallelBatches {
    Always(bool),
    When(OptionIs),
}

impl Default for ParallelBatches {
    fn default() -> Self {
        ParallelBatches::Always(false)
    }
}

/// An option of the export having one of some values (an option left out has none of them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OptionIs {
    pub option: String,
    pub one_of: Vec<serde_json::Value>,
}

impl ParallelBatches {
    /// Whether an export with these (validated) options may run in several instances.
    pub fn allowed_with(&self, options: &serde_json::Value) -> bool {
        match self {
            ParallelBatches::Always(allowed) => *allowed,
            ParallelBatches::When(OptionIs { option, one_of }) => options
                .get(option)
                .is_some_and(|value| one_of.contains(value)),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    Exporter,
    Notifier,
    Integration,
}

impl PluginKind {
    /// As manifests, the `plugins` table and the API name it.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Exporter => "exporter",
            PluginKind::Notifier => "notifier",
            PluginKind::Integration => "integration",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Capabilities {
    /// Linear memory the plugin may grow to, per call.
    pub memory_mb: u64,
    /// Wall-clock budget of one export, all calls together.
    pub time_ms: u64,
    /// A private temporary folder of this many MiB per export; 0 for none.
    pub scratch_mb: u64,
    /// Hosts the plugin may send HTTP requests to: names (`hooks.slack.com`), `*.` and a
    /// domain for its subdomains, or `*` for any public host (for a channel whose address its
    /// users give). Exporters may not ask for any.
    pub outbound_hosts: Vec<String>,
    /// Mail sent through the server's relay (`tessera:plugin/mail`). Exporters may not ask.
    pub mail: bool,
}

impl Capabilities {
    /// What the plugin asks for beyond memory and time, which are limits rather than access:
    /// the requests an administrator must approve before the plugin runs with them.
    pub fn access_requests(&self) -> Vec<String> {
        let mut requests = Vec::new();
        if self.scratch_mb > 0 {
            requests.push(format!("a scratch folder of {} MiB", self.scratch_mb));
        }
        for host in &self.outbound_hosts {
            if host == "*" {
                requests.push("connections to any public host".into());
            } else {
                requests.push(format!("connections to {host}"));
            }
        }
        if self.mail {
            requests.push("mail through the server's relay".into());
        }
        requests
    }

    /// These requests as far as `approved` allows: memory and time as asked, a scratch folder
    /// only up to the approved size, only approved hosts. Nothing approved, nothing granted.
    pub fn granted(&self, approved: Option<&Capabilities>) -> Capabilities {
        let Some(approved) = approved else {
            return Capabilities {
                scratch_mb: 0,
                outbound_hosts: Vec::new(),
                mail: false,
                ..self.clone()
            };
        };
        Capabilities {
            memory_mb: self.memory_mb,
            time_ms: self.time_ms,
            scratch_mb: self.scratch_mb.min(approved.scratch_mb),
            outbound_hosts: self
                .outbound_hosts
                .iter()
                .filter(|h| approved.outbound_hosts.contains(h))
                .cloned()
                .collect(),
            mail: self.mail && approved.mail,
        }
    }

    /// Whether `approved` covers every access this asks for.
    pub fn approved_by(&self, approved: Option<&Capabilities>) -> bool {
        self.granted(approved) == *self
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            memory_mb: 64,
            time_ms: 30_000,
            scratch_mb: 0,
            outbound_hosts: Vec::new(),
            mail: false,
        }
    }
}

impl Manifest {
    pub fn read(path: &Path) -> Result<Manifest, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let manifest: Manifest =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks the plugin's identity, kind, contract version and component file name; what it
    /// asks of the host's capabilities is for [`super::capabilities::Grants::validate`].
    pub fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !id_ok {
            return Err(format!(
                "plugin id '{}' must be 1-64 lower-case letters, digits, '-' or '_'",
                self.id
            ));
        }
        if !super::bindings::SUPPORTED_API_VERSIONS.contains(&self.api_version.as_str()) {
            return Err(format!(
                "plugin '{}' targets API {}, this host supports {}",
                self.id,
                self.api_version,
                super::bindings::SUPPORTED_API_VERSIONS.join(", ")
            ));
        }
        match self.kind {
            PluginKind::Exporter => {}
            PluginKind::Notifier => {
                if !super::bindings::NOTIFIER_API_VERSIONS.contains(&self.api_version.as_str()) {
                    return Err(format!(
                        "plugin '{}': a notifier needs API {} (the first with the notifier \
                         world), but it targets {}",
                        self.id,
                        super::bindings::NOTIFIER_API_VERSIONS.join(" or "),
                        self.api_version
                    ));
                }
                if self.exporter != ExporterTraits::default() {
                    return Err(format!(
                        "plugin '{}': a notifier has no [exporter] table",
                        self.id
                    ));
                }
            }
            PluginKind::Integration => {
                return Err(format!(
                    "plugin '{}': integration plugins are not supported yet",
                    self.id
                ));
            }
        }
        if self.component.contains('/') || self.component.contains("..") {
            return Err(format!(
                "plugin '{}': component must be a file name beside the manifest",
                self.id
            ));
        }
        for variant in &self.exporter.outputs {
            let extension_ok = (1..=16).contains(&variant.extension.len())
                && variant
                    .extension
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if !is_media_type(&variant.media_type) || !extension_ok {
                return Err(format!(
                    "plugin '{}': an [[exporter.outputs]] entry needs a media_type such as \
                     application/x-ndjson and an extension of 1-16 lower-case letters or digits",
                    self.id
                ));
            }
        }
        Ok(())
    }
}

/// What the database holds of an installed or folder plugin, read once: its manifest and the
/// capabilities an admin approved (`None`: nothing approved). Every reader of a stored plugin
/// goes through [`Stored::read`], so a row that cannot be read is refused the same way
/// everywhere, never taken as "no restriction".
#[derive(Debug, Clone)]
pub struct Stored {
    pub manifest: Manifest,
    pub approved: Option<Capabilities>,
}

impl Stored {
    pub fn read(record: &crate::db::plugins::PluginRecord) -> Result<Stored, String> {
        let manifest: Manifest = serde_json::from_str(&record.manifest)
            .map_err(|e| format!("stored manifest of plugin '{}': {e}", record.id))?;
        let approved = record
            .approved
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| format!("stored approval of plugin '{}': {e}", record.id))?;
        Ok(Stored { manifest, approved })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(exporter: &str) -> Result<Manifest, toml::de::Error> {
        toml::from_str(&format!(
            "id = \"f\"\nname = \"F\"\nversion = \"1.0.0\"\nkind = \"exporter\"\n\
             api_version = \"0.1.0\"\ncomponent = \"f.wasm\"\n{exporter}"
        ))
    }

    #[test]
    fn parallel_batches_are_off_unless_the_manifest_says_so() {
        let silent = manifest("").unwrap();
        assert!(!silent.exporter.parallel_batches.allowed_with(&json!({})));
        let always = manifest("[exporter]\nparallel_batches = true").unwrap();
        assert!(always.exporter.parallel_batches.allowed_with(&json!({})));
        let when = manifest(
            "[exporter]\nparallel_batches = { option = \"structure\", one_of = [\"ndjson\"] }",
        )
        .unwrap();
        let parallel = &when.exporter.parallel_batches;
        assert!(parallel.allowed_with(&json!({"structure": "ndjson", "pretty": true})));
        assert!(!parallel.allowed_with(&json!({"structure": "records"})));
        assert!(
            !parallel.allowed_with(&json!({})),
            "an option left out has its default, which the manifest did not name"
        );
    }

    // Issue 14, item 26: a format whose options change the kind of file says so, and an
    // export is served with that file's media type and extension.
    #[test]
    fn outputs_follow_an_option() {
        let manifest = manifest(
            "[exporter]\n[[exporter.outputs]]\noption = \"structure\"\none_of = [\"ndjson\"]\n\
             media_type = \"application/x-ndjson\"\nextension = \"ndjson\"",
        )
        .unwrap();
        manifest.validate().unwrap();
        let variant = &manifest.exporter.outputs[0];
        assert!(variant.matches(&json!({"structure": "ndjson"})));
        assert!(!variant.matches(&json!({"structure": "records"})));
        assert!(!variant.matches(&json!({})));
        for (media_type, extension) in [
            ("application/x-ndjson\r\nx-evil: 1", "ndjson"),
            ("application", "ndjson"),
            ("application/x-ndjson; charset=utf-8", "ndjson"),
            ("application/x-ndjson", "nd.json"),
            ("application/x-ndjson", ""),
        ] {
            let mut bad = manifest.clone();
            bad.exporter.outputs[0].media_type = media_type.into();
            bad.exporter.outputs[0].extension = extension.into();
            assert!(bad.validate().is_err(), "{media_type:?} {extension:?}");
        }
    }

    #[test]
    fn notifiers_need_the_notifier_world_and_may_ask_for_hosts_and_mail() {
        let notifier = |api: &str, extra: &str| -> Manifest {
            toml::from_str(&format!(
                "id = \"n\"\nname = \"N\"\nversion = \"1.0.0\"\nkind = \"notifier\"\n\
                 api_version = \"{api}\"\ncomponent = \"n.wasm\"\n{extra}"
            ))
            .unwrap()
        };
        let asked = notifier(
            "0.3.0",
            "[capabilities]\noutbound_hosts = [\"*\", \"hooks.example.org\"]\nmail = true",
        );
        asked.validate().unwrap();
        assert_eq!(
            asked.capabilities.access_requests(),
            [
                "connections to any public host",
                "connections to hooks.example.org",
                "mail through the server's relay"
            ]
        );
        let nothing = asked.capabilities.granted(None);
        assert!(!nothing.mail && nothing.outbound_hosts.is_empty());
        let partly = Capabilities {
            outbound_hosts: vec!["hooks.example.org".into()],
            ..Capabilities::default()
        };
        let granted = asked.capabilities.granted(Some(&partly));
        assert_eq!(granted.outbound_hosts, ["hooks.example.org"]);
        assert!(!granted.mail, "mail only when approved");
        assert!(!asked.capabilities.approved_by(Some(&partly)));
        assert!(asked.capabilities.approved_by(Some(&asked.capabilities)));

        let old = notifier("0.2.0", "").validate().unwrap_err();
        assert!(old.contains("a notifier needs API 0.3.0"), "{old}");
        let with_exporter = notifier("0.3.0", "[exporter]\nparallel_batches = true");
        assert!(with_exporter.validate().is_err());
        // A manifest stored before `mail` existed still reads, asking for none.
        let stored: Capabilities = serde_json::from_str(
            r#"{"memory_mb":64,"time_ms":1000,"scratch_mb":0,"outbound_hosts":[]}"#,
        )
        .unwrap();
        assert!(!stored.mail);
    }

    #[test]
    fn a_misspelt_exporter_promise_is_refused() {
        assert!(manifest("[exporter]\nparalel_batches = true").is_err());
        assert!(
            manifest("[exporter]\nparallel_batches = { option = \"s\", values = [1] }").is_err()
        );
    }
}
