//! Sync branch names from templates (`amplication`, `amplication-build-{id}`,
//! `amplication-{service}`), checked as git branch names.

/// The branch of strategy `single`.
pub const SINGLE: &str = "amplication";
/// The branch template of strategy `per-build`.
pub const PER_BUILD: &str = "amplication-build-{id}";

/// How builds map to branches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One long-lived branch, new commits on top.
    #[default]
    Single,
    /// A fresh branch and pull request per build.
    PerBuild,
}

impl Strategy {
    /// The default branch template of the strategy.
    pub fn default_template(&self) -> &'static str {
        match self {
            Strategy::Single => SINGLE,
            Strategy::PerBuild => PER_BUILD,
        }
    }
}

/// Errors rendering a branch template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A `{…}` placeholder other than `{id}` and `{service}`, or an unclosed brace.
    #[error("branch template {template:?}: unknown placeholder {placeholder:?}; use {{id}} or {{service}}")]
    UnknownPlaceholder {
        /// The template.
        template: String,
        /// The placeholder.
        placeholder: String,
    },
    /// The template needs a value that was not given.
    #[error("branch template {template:?} uses {{{name}}} but no {name} was given (pass --build-id / a service name)")]
    MissingValue {
        /// The template.
        template: String,
        /// The missing value's name.
        name: &'static str,
    },
    /// The rendered name is not a valid git branch name.
    #[error("branch name {name:?} (from template {template:?}) is not a valid git branch name: {reason}")]
    InvalidName {
        /// The rendered name.
        name: String,
        /// The template.
        template: String,
        /// Why git would refuse it.
        reason: String,
    },
}

/// Render `template` with the build id and service name, and check the result is a valid
/// branch name (as `git check-ref-format --branch` would).
pub fn render(
    template: &str,
    build_id: Option<&str>,
    service: Option<&str>,
) -> Result<String, Error> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find('}').ok_or_else(|| Error::UnknownPlaceholder {
            template: template.into(),
            placeholder: after.into(),
        })?;
        let (name, value) = match &after[..=end] {
            "{id}" => ("id", build_id),
            "{service}" => ("service", service),
            other => {
                return Err(Error::UnknownPlaceholder {
                    template: template.into(),
                    placeholder: other.into(),
                })
            }
        };
        out.push_str(value.ok_or(Error::MissingValue {
            template: template.into(),
            name,
        })?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    let full = format!("refs/heads/{out}");
    gix_validate::reference::branch_name(full.as_str().into()).map_err(|e| Error::InvalidName {
        name: out.clone(),
        template: template.into(),
        reason: e.to_string(),
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_validates() {
        assert_eq!(render(SINGLE, None, None).unwrap(), "amplication");
        assert_eq!(
            render(PER_BUILD, Some("42"), None).unwrap(),
            "amplication-build-42"
        );
        assert_eq!(
            render("amplication-{service}", None, Some("orders")).unwrap(),
            "amplication-orders"
        );
        assert!(matches!(
            render(PER_BUILD, None, None),
            Err(Error::MissingValue { name: "id", .. })
        ));
        assert!(matches!(
            render("x-{nope}", None, None),
            Err(Error::UnknownPlaceholder { .. })
        ));
        let err = render(PER_BUILD, Some("build #4..2"), None).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidName { name, .. } if name == "amplication-build-build #4..2"),
            "{err}"
        );
        assert!(render("a.lock", None, None).is_err());
        assert!(render("-x", None, None).is_err() || render("HEAD", None, None).is_err());
    }
}
