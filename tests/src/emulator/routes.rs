//! Matching a request's path against a provider's route table. Each route is named by its path
//! template exactly as the provider's OpenAPI description spells it, so the validator finds
//! the operation's schemas.

use crate::http::Request;

/// Path parameters by template name, decoded.
pub type Params = Vec<(&'static str, String)>;

/// What the matcher needs of a provider's route.
pub trait Operation: Sync + 'static {
    /// HTTP method.
    fn method(&self) -> &'static str;
    /// The OpenAPI path template (`/repos/{owner}/{repo}/git/refs/{ref}`).
    fn template(&self) -> &'static str;
}

/// Implements [`Operation`] for a route type with `method` and `template` fields.
#[macro_export]
#[doc(hidden)]
macro_rules! route_operation {
    ($route:ty) => {
        impl $crate::emulator::routes::Operation for $route {
            fn method(&self) -> &'static str {
                self.method
            }

            fn template(&self) -> &'static str {
                self.template
            }
        }
    };
}

/// The parameters that take the rest of the path, slashes included (`heads/feature/x`), when
/// they end a template.
#[derive(Debug, Clone, Copy)]
pub struct Greedy {
    /// Their names.
    pub names: &'static [&'static str],
    /// Those of them that may also be empty (Bitbucket's `src/{commit}/` lists the root).
    pub may_be_empty: &'static [&'static str],
}

/// The route of `routes` for `method` and the decoded path `segments`, with its parameters.
pub fn find<R: Operation>(
    routes: &'static [R],
    greedy: &Greedy,
    method: &str,
    segments: &[String],
) -> Option<(&'static R, Params)> {
    routes
        .iter()
        .filter(|r| r.method().eq_ignore_ascii_case(method))
        .find_map(|r| match_template(r.template(), segments, greedy).map(|params| (r, params)))
}

/// Matches `segments` against `template`; the parameters on success.
pub fn match_template(
    template: &'static str,
    segments: &[String],
    greedy: &Greedy,
) -> Option<Params> {
    let parts: Vec<&'static str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let mut params = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if greedy.names.contains(&name) && i == parts.len() - 1 {
                let rest = segments.get(i..).unwrap_or_default();
                if rest.is_empty() && !greedy.may_be_empty.contains(&name) {
                    return None;
                }
                params.push((name, rest.join("/")));
                return Some(params);
            }
            params.push((name, segments.get(i)?.clone()));
        } else if segments.get(i).map(String::as_str) != Some(part) {
            return None;
        }
    }
    (segments.len() == parts.len()).then_some(params)
}

/// The non-empty segments of `path` as sent (not decoded): what route-table tests match.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Path parameter `name` of `params` (empty when there is none of that name).
pub fn param<'a>(params: &'a Params, name: &str) -> &'a str {
    params
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The context of one request a provider's handler answers: its emulator `E`, the state `S`
/// locked for the request, the request, its path parameters, the caller `C` and the parsed
/// body. Each provider names it (`pub type Ctx<'a> = Context<'a, Emulator, State, Caller>`) and
/// adds its own helpers in an inherent `impl` (its repository lookup, its URLs).
pub struct Context<'a, E, S, C> {
    /// The emulator.
    pub emu: &'a E,
    /// Its state, locked for the request.
    pub state: &'a mut S,
    /// The request.
    pub req: &'a Request,
    /// Path parameters by template name, decoded.
    pub params: Params,
    /// The caller.
    pub caller: C,
    /// The parsed JSON body (`Null` when there is none).
    pub body: serde_json::Value,
}

impl<E, S, C> Context<'_, E, S, C> {
    /// Path parameter `name` (empty when the route has none of that name).
    pub fn param(&self, name: &str) -> &str {
        param(&self.params, name)
    }

    /// Query parameter `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        self.req.query_param(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_greedy_parameter_takes_the_rest_and_may_be_empty_only_when_allowed() {
        let greedy = Greedy {
            names: &["ref", "path"],
            may_be_empty: &["path"],
        };
        let p = match_template(
            "/r/{owner}/refs/{ref}",
            &segments("/r/o/refs/heads/a/b"),
            &greedy,
        )
        .expect("matches");
        assert_eq!(p, vec![("owner", "o".into()), ("ref", "heads/a/b".into())]);
        assert!(match_template("/r/{owner}/refs/{ref}", &segments("/r/o/refs"), &greedy).is_none());
        let p = match_template("/src/{commit}/{path}", &segments("/src/abc"), &greedy)
            .expect("an empty path is the root");
        assert_eq!(param(&p, "path"), "");
        assert!(match_template("/a/{x}", &segments("/a/1/2"), &greedy).is_none());
    }
}
