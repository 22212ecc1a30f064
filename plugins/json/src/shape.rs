//! Which key each column gets in a JSON object, flat or nested by dots.
//!
//! Computed once per export from the schema, so that writing a row only walks a ready-made tree
//! of pre-escaped keys. Nesting is where the schema can be contradictory (a column `a` next to
//! a column `a.b`), so the contradictions are found here, before any output exists.

use tessera_plugin_sdk::text::write_json_string;
use tessera_plugin_sdk::{Column, PluginError};

/// The members of one JSON object, in first-appearance order of the schema.
#[derive(Debug, Default, PartialEq)]
pub struct ObjectShape {
    pub members: Vec<Member>,
}

#[derive(Debug, PartialEq)]
pub struct Member {
    /// The plain key, for finding members while building.
    name: String,
    /// The key as a JSON string literal, quotes included.
    pub key_json: String,
    pub value: MemberValue,
}

/// What stands where a nested column should go.
enum Clash {
    /// The column with this index.
    Column(usize),
    /// An object of nested columns with this name.
    Object(String),
}

#[derive(Debug, PartialEq)]
pub enum MemberValue {
    /// The value of the schema column with this index.
    Column(usize),
    Object(ObjectShape),
}

impl ObjectShape {
    /// One member per column, named as the column is.
    pub fn flat(schema: &[Column]) -> Result<Self, PluginError> {
        let mut shape = ObjectShape::default();
        for (index, column) in schema.iter().enumerate() {
            if shape.position(&column.name).is_some() {
                return Err(PluginError::failed(format!(
                    "two columns are named `{}`, and a JSON object cannot hold both",
                    column.name
                )));
            }
            shape
                .members
                .push(Member::new(&column.name, MemberValue::Column(index)));
        }
        Ok(shape)
    }

    /// Columns whose names contain dots become members of nested objects: `a.b` is member `b`
    /// of the object that is member `a`.
    pub fn nested(schema: &[Column]) -> Result<Self, PluginError> {
        let mut shape = ObjectShape::default();
        for (index, column) in schema.iter().enumerate() {
            let path: Vec<&str> = column.name.split('.').collect();
            shape.insert(&path, index).map_err(|clash| {
                let other = match clash {
                    Clash::Column(other) => match schema.get(other) {
                        Some(other) => format!("column `{}`", other.name),
                        None => "another column".to_owned(),
                    },
                    Clash::Object(prefix) => format!("the nested columns under `{prefix}`"),
                };
                PluginError::invalid_options(format!(
                    "option `nest_dotted`: column `{}` clashes with {other}; turn nest_dotted off \
                     or rename the columns",
                    column.name
                ))
            })?;
        }
        Ok(shape)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.members.iter().position(|member| member.name == name)
    }

    /// Puts column `index` at `path`, or says what is already in the way.
    fn insert(&mut self, path: &[&str], index: usize) -> Result<(), Clash> {
        // `str::split` yields at least one piece, so only a bug gets here.
        let Some((first, rest)) = path.split_first() else {
            return Err(Clash::Column(index));
        };
        match (self.position(first), rest.is_empty()) {
            (None, true) => {
                self.members
                    .push(Member::new(first, MemberValue::Column(index)));
                Ok(())
            }
            (None, false) => {
                let mut child = ObjectShape::default();
                child.insert(rest, index)?;
                self.members
                    .push(Member::new(first, MemberValue::Object(child)));
                Ok(())
            }
            (Some(existing), _) => match (&mut self.members[existing].value, rest.is_empty()) {
                (MemberValue::Object(child), false) => child.insert(rest, index),
                (MemberValue::Object(_), true) => Err(Clash::Object((*first).to_owned())),
                (MemberValue::Column(other), _) => Err(Clash::Column(*other)),
            },
        }
    }

    /// How deep the deepest member sits (1 for a flat object).
    #[cfg(test)]
    pub fn depth(&self) -> usize {
        1 + self
            .members
            .iter()
            .map(|member| match &member.value {
                MemberValue::Object(child) => child.depth(),
                MemberValue::Column(_) => 0,
            })
            .max()
            .unwrap_or(0)
    }
}

impl Member {
    fn new(name: &str, value: MemberValue) -> Self {
        let mut key_json = String::with_capacity(name.len() + 2);
        write_json_string(name, &mut key_json);
        Member {
            name: name.to_owned(),
            key_json,
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::ColumnType;

    fn schema(names: &[&str]) -> Vec<Column> {
        names
            .iter()
            .map(|name| Column::new(*name, ColumnType::Int64))
            .collect()
    }

    fn keys(shape: &ObjectShape) -> Vec<String> {
        shape
            .members
            .iter()
            .map(|member| member.key_json.clone())
            .collect()
    }

    #[test]
    fn flat_shapes_keep_dots_and_escape_keys() {
        let shape = ObjectShape::flat(&schema(&["a.b", "say \"x\""])).unwrap();
        assert_eq!(keys(&shape), [r#""a.b""#, r#""say \"x\"""#]);
        assert_eq!(shape.depth(), 1);
    }

    #[test]
    fn flat_shapes_refuse_duplicate_names() {
        let error = ObjectShape::flat(&schema(&["a", "a"])).unwrap_err();
        assert!(matches!(error, PluginError::Failed(_)), "{error:?}");
    }

    #[test]
    fn nested_shapes_group_by_prefix_in_first_appearance_order() {
        let shape = ObjectShape::nested(&schema(&["a.b", "c", "a.d.e", "a.f"])).unwrap();
        assert_eq!(keys(&shape), [r#""a""#, r#""c""#]);
        let MemberValue::Object(a) = &shape.members[0].value else {
            panic!("a is an object")
        };
        assert_eq!(keys(a), [r#""b""#, r#""d""#, r#""f""#]);
        assert_eq!(a.members[0].value, MemberValue::Column(0));
        assert_eq!(a.members[2].value, MemberValue::Column(3));
        assert_eq!(shape.depth(), 3);
    }

    #[test]
    fn nested_shapes_refuse_a_column_that_is_also_a_group() {
        for (names, clash) in [
            (&["a", "a.b"][..], "column `a.b` clashes with column `a`"),
            (
                &["a.b", "a"],
                "column `a` clashes with the nested columns under `a`",
            ),
            (&["a.b", "a.b"], "column `a.b` clashes with column `a.b`"),
        ] {
            let error = ObjectShape::nested(&schema(names)).unwrap_err();
            assert!(
                matches!(&error, PluginError::InvalidOptions(message) if message.contains(clash)),
                "{names:?}: {error:?}"
            );
        }
    }
}
