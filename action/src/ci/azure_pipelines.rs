//! Azure Pipelines: the job's identity (`BUILD_BUILDID`, `SYSTEM_COLLECTIONURI`,
//! `SYSTEM_TEAMPROJECT`, `BUILD_REPOSITORY_NAME`) and its logging commands: secrets masked with
//! `##vso[task.setsecret]`, errors reported with `##vso[task.logissue type=error]`, outcomes set
//! as output variables with `##vso[task.setvariable variable=…;isOutput=true]` (later jobs read
//! `dependencies.JOB.outputs['STEP.GENSYNC_OPERATION']`). The commands go to stderr, which the
//! agent reads like stdout, so that `--json` keeps stdout for the outcome alone.

use gensync_core::sync::SyncOutcome;

/// Set to `True` by the agent in every job.
pub const TF_BUILD_ENV: &str = "TF_BUILD";
/// The build's number.
pub const BUILD_ID_ENV: &str = "BUILD_BUILDID";
/// The organization's (or Server collection's) URL, with a trailing `/`.
pub const COLLECTION_URI_ENV: &str = "SYSTEM_COLLECTIONURI";
/// The project.
pub const TEAM_PROJECT_ENV: &str = "SYSTEM_TEAMPROJECT";
/// The repository the pipeline runs for.
pub const REPOSITORY_NAME_ENV: &str = "BUILD_REPOSITORY_NAME";

/// Whether gensync runs in an Azure Pipelines job.
pub fn active() -> bool {
    std::env::var(TF_BUILD_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// What the job says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    /// `ORGANIZATION/PROJECT/REPOSITORY` of the pipeline's repository (Azure DevOps Services).
    pub repository: Option<String>,
    /// The build id.
    pub build_id: String,
    /// The build's web page (`{collection}{project}/_build/results?buildId={id}`).
    pub build_url: Option<String>,
}

impl Defaults {
    /// The job's values, `None` outside Azure Pipelines (no `TF_BUILD` or no build id).
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Option<Defaults> {
        let set = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        set(TF_BUILD_ENV).filter(|v| v.eq_ignore_ascii_case("true"))?;
        let build_id = set(BUILD_ID_ENV)?;
        let collection = set(COLLECTION_URI_ENV);
        let project = set(TEAM_PROJECT_ENV);
        let organization = collection
            .as_deref()
            .and_then(|c| c.trim_end_matches('/').rsplit('/').next())
            .filter(|o| !o.is_empty() && !o.contains(':'))
            .map(str::to_owned);
        let repository = match (organization, &project, set(REPOSITORY_NAME_ENV)) {
            (Some(o), Some(p), Some(r)) => Some(format!("{o}/{p}/{r}")),
            _ => None,
        };
        let build_url = match (&collection, &project) {
            (Some(c), Some(p)) => Some(format!(
                "{}/{}/_build/results?buildId={build_id}",
                c.trim_end_matches('/'),
                crate::http::urls::segment(p)
            )),
            _ => None,
        };
        Some(Defaults {
            repository,
            build_id,
            build_url,
        })
    }
}

/// A logging command's data, escaped as the agent reads it (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A logging command's property value, escaped (`;` and `]` too).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(';', "%3B").replace(']', "%5D")
}

/// The line that masks `secret` in the job's log.
pub fn set_secret_line(secret: &str) -> String {
    format!("##vso[task.setsecret]{}", escape_data(secret))
}

/// The line that reports `message` as an error of the step.
pub fn error_line(message: &str) -> String {
    format!("##vso[task.logissue type=error]{}", escape_data(message))
}

/// The line that sets the output variable `name` to `value`.
pub fn output_line(name: &str, value: &str) -> String {
    format!(
        "##vso[task.setvariable variable={};isOutput=true]{}",
        escape_property(name),
        escape_data(value)
    )
}

/// Masks `secret` (on stdout, where the agent reads logging commands).
pub fn mask(secret: &str) {
    eprintln!("{}", set_secret_line(secret));
}

/// Reports an error.
pub fn error(message: &str) {
    eprintln!("{}", error_line(message));
}

/// Sets the outcome's values as output variables (`GENSYNC_OPERATION`, `GENSYNC_COMMIT_SHA`,
/// …, the names of `gensync.env` in Bitbucket Pipelines).
pub fn write_outputs(outcome: &SyncOutcome) {
    for (name, value) in super::bitbucket_pipelines::env_lines(outcome) {
        eprintln!("{}", output_line(&name, &value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_job_names_its_repository_and_build() {
        let d = Defaults::from_env(&vars(&[
            ("TF_BUILD", "True"),
            ("BUILD_BUILDID", "812"),
            ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/contoso/"),
            ("SYSTEM_TEAMPROJECT", "Web Shop"),
            ("BUILD_REPOSITORY_NAME", "orders"),
        ]))
        .expect("in a job");
        assert_eq!(d.repository.as_deref(), Some("contoso/Web Shop/orders"));
        assert_eq!(d.build_id, "812");
        assert_eq!(
            d.build_url.as_deref(),
            Some("https://dev.azure.com/contoso/Web%20Shop/_build/results?buildId=812")
        );
        assert_eq!(Defaults::from_env(&vars(&[("BUILD_BUILDID", "1")])), None);
    }

    #[test]
    fn logging_commands_are_escaped() {
        assert_eq!(set_secret_line("a%b"), "##vso[task.setsecret]a%AZP25b");
        assert_eq!(
            error_line("line 1\nline 2"),
            "##vso[task.logissue type=error]line 1%0Aline 2"
        );
        assert_eq!(
            output_line("GENSYNC_BRANCH", "gen;x]"),
            "##vso[task.setvariable variable=GENSYNC_BRANCH;isOutput=true]gen;x]"
        );
        assert_eq!(
            output_line("a;b", "v"),
            "##vso[task.setvariable variable=a%3Bb;isOutput=true]v"
        );
    }
}
