//! One module per subcommand.

pub mod changes;
pub mod config;
pub mod manifest;
pub mod repo;
pub mod sync;

/// An error and its causes on one line, `outer: cause: root`, each cause once: an error whose
/// message already quotes its source (`cannot read X: No such file or directory (os error 2)`)
/// is not followed by that source again, as anyhow's `{:#}` would print it.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_source_quoted_by_its_error_is_printed_once() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let err = anyhow::Error::from(crate::config::Error::Read {
            path: "gensync.toml".into(),
            source: io,
        })
        .context("loading the project");
        let text = super::error_text(&err);
        assert_eq!(
            text,
            format!(
                "loading the project: cannot read the project file gensync.toml: {}",
                std::io::Error::from(std::io::ErrorKind::NotFound)
            )
        );
        // Causes a message does not quote are all kept.
        let err = anyhow::anyhow!("root").context("middle").context("outer");
        assert_eq!(super::error_text(&err), "outer: middle: root");
    }
}
