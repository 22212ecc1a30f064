//! Licence identifiers from the SPDX License List, which a dataset's licence is checked
//! against when it changes, and which the metadata form offers as suggestions while typing.
//!
//! The table is `host/data/spdx-licences.json`: the identifiers and names of the SPDX License
//! List version 3.28.0 (2026-02-20), taken from its official JSON,
//! <https://spdx.org/licenses/licenses.json> (`licenseId` and `name` of each entry, deprecated
//! identifiers included since they still name a licence). To update it, replace the file with
//! the newer list's entries in the same shape and change the version here and in the file.
//!
//! Accepted: one identifier (in any case, stored as the list spells it, with an optional `+`
//! for "or later"), a user-defined `LicenseRef-...`, a simple SPDX expression of those joined
//! by `AND` / `OR` with parentheses (SPDX 2.3, annex D; `WITH` exceptions are not checked and
//! so not accepted), or the words [`OTHER`] for a licence the list does not have, which the
//! description then explains.

use std::sync::LazyLock;

/// What a dataset whose licence is not on the list says instead; its description tells more.
pub const OTHER: &str = "other (see description)";

/// One entry of the list.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Licence {
    #[serde(rename(deserialize = "licenseId"))]
    pub id: String,
    pub name: String,
}

#[derive(serde::Deserialize)]
struct List {
    licenses: Vec<Licence>,
}

static LIST: LazyLock<Vec<Licence>> = LazyLock::new(|| {
    // The file is compiled in and checked by a test: it cannot fail to parse at run time
    // unless the build shipped a broken file, when an empty list refuses every identifier.
    serde_json::from_str::<List>(include_str!("../data/spdx-licences.json"))
        .map(|list| list.licenses)
        .unwrap_or_default()
});

/// Every licence of the list, by identifier.
pub fn all() -> &'static [Licence] {
    &LIST
}

/// The list's spelling of `id`, compared without regard to case (SPDX identifiers are
/// case-insensitive).
fn known(id: &str) -> Option<&'static str> {
    LIST.iter()
        .find(|licence| licence.id.eq_ignore_ascii_case(id))
        .map(|licence| licence.id.as_str())
}

/// `text` as stored (trimmed, identifiers spelt as the list does, operators in capitals), or
/// the sentence saying why it is refused: the first unknown identifier named, with the nearest
/// known one when one is near.
pub fn checked(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case(OTHER) {
        return Ok(OTHER.to_owned());
    }
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let mut out: Vec<String> = Vec::new();
    // Expecting an identifier or `(` (true), or an operator or `)` (false).
    let mut operand = true;
    let mut depth = 0usize;
    let malformed = || {
        format!(
            "'{text}' is not an SPDX licence expression: give an identifier (such as \
             CC-BY-4.0), identifiers joined by AND or OR, or '{OTHER}'"
        )
    };
    for token in spaced.split_whitespace() {
        match (token, operand) {
            ("(", true) => {
                depth += 1;
                out.push("(".to_owned());
            }
            (")", false) if depth > 0 => {
                depth -= 1;
                out.push(")".to_owned());
            }
            (word, false)
                if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") =>
            {
                out.push(word.to_uppercase());
                operand = true;
            }
            (word, true)
                if !word.eq_ignore_ascii_case("and")
                    && !word.eq_ignore_ascii_case("or")
                    && word != ")" =>
            {
                out.push(identifier(word)?);
                operand = false;
            }
            _ => return Err(malformed()),
        }
    }
    if operand || depth > 0 {
        return Err(malformed());
    }
    Ok(out.join(" ").replace("( ", "(").replace(" )", ")"))
}

/// One identifier of an expression, as the list spells it.
fn identifier(word: &str) -> Result<String, String> {
    let (id, later) = match word.strip_suffix('+') {
        Some(id) => (id, "+"),
        None => (word, ""),
    };
    if let Some(known) = known(id) {
        return Ok(format!("{known}{later}"));
    }
    let user_defined = id
        .get(..11)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("LicenseRef-"));
    if user_defined
        && id.len() > 11
        && id[11..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Ok(format!("LicenseRef-{}", &id[11..]));
    }
    Err(match nearest(id) {
        Some(near) => format!("'{word}' is not an SPDX licence identifier; did you mean {near}?"),
        None => format!(
            "'{word}' is not an SPDX licence identifier; give one (such as CC-BY-4.0) or \
             '{OTHER}'"
        ),
    })
}

/// The known identifier `id` most likely stands for: the shortest that begins with it (a
/// version left off, `CC-BY-4`), else the one fewest edits away, when that is at most a third
/// of its length (a typing slip, `Apache2.0`).
fn nearest(id: &str) -> Option<&'static str> {
    let wanted = id.to_lowercase();
    if wanted.is_empty() {
        return None;
    }
    if let Some(begun) = LIST
        .iter()
        .filter(|licence| licence.id.to_lowercase().starts_with(&wanted))
        .min_by_key(|licence| licence.id.len())
    {
        return Some(begun.id.as_str());
    }
    LIST.iter()
        .map(|licence| {
            (
                edits(&wanted, &licence.id.to_lowercase()),
                licence.id.as_str(),
            )
        })
        .filter(|(distance, _)| *distance <= wanted.chars().count().div_ceil(3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, id)| id)
}

/// The Levenshtein distance between `a` and `b`, in characters.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_compiled_in() {
        assert!(all().len() > 600, "{}", all().len());
        assert!(all().iter().any(|l| l.id == "CC-BY-4.0"));
    }

    #[test]
    fn identifiers_are_checked_and_spelt_as_the_list_does() {
        assert_eq!(checked(" cc-by-4.0 ").as_deref(), Ok("CC-BY-4.0"));
        assert_eq!(
            checked("MIT or apache-2.0").as_deref(),
            Ok("MIT OR Apache-2.0")
        );
        assert_eq!(
            checked("(MIT OR Apache-2.0) AND CC0-1.0").as_deref(),
            Ok("(MIT OR Apache-2.0) AND CC0-1.0")
        );
        assert_eq!(checked("GPL-2.0+").as_deref(), Ok("GPL-2.0+"));
        assert_eq!(checked("Other (see description)").as_deref(), Ok(OTHER));
        assert_eq!(
            checked("licenseref-lab-1").as_deref(),
            Ok("LicenseRef-lab-1")
        );
    }

    #[test]
    fn an_unknown_identifier_is_named_with_the_nearest() {
        assert_eq!(
            checked("CC-BY-4"),
            Err("'CC-BY-4' is not an SPDX licence identifier; did you mean CC-BY-4.0?".into())
        );
        assert!(
            checked("Apache2.0")
                .unwrap_err()
                .contains("did you mean Apache-2.0?")
        );
        assert!(checked("free for all").is_err());
        assert!(checked("MIT AND").is_err());
        assert!(checked("(MIT").is_err());
        assert!(checked("MIT WITH Classpath-exception-2.0").is_err());
    }
}
