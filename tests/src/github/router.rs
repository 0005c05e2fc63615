//! The REST route table. Each route is named by its path template exactly as GitHub's OpenAPI
//! description spells it, so the validator can find the operation's schemas.

use super::api::{ApiResult, Ctx};
use super::{apps, compare, contents, git_data, pulls, repos};
use crate::emulator::routes::{self, Greedy, Params};

/// A REST handler.
pub type Handler = fn(&mut Ctx<'_>) -> ApiResult;

/// What a route requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any accepted token (metadata read; repository visibility is checked by the handler).
    Read,
    /// `contents: write`.
    Contents,
    /// `pull_requests: write`.
    Pulls,
    /// `administration: write` (creating repositories).
    Admin,
    /// A GitHub App JWT.
    Jwt,
}

/// One operation.
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// OpenAPI path template.
    pub template: &'static str,
    /// What the caller needs.
    pub need: Need,
    /// A Git Data endpoint: an empty repository answers 409 "Git Repository is empty.".
    pub git_data: bool,
    /// Its documentation page (below `https://docs.github.com/rest/`).
    pub doc: &'static str,
    /// The handler.
    pub handler: Handler,
}

const fn route(
    method: &'static str,
    template: &'static str,
    need: Need,
    doc: &'static str,
    handler: Handler,
) -> Route {
    Route {
        method,
        template,
        need,
        git_data: false,
        doc,
        handler,
    }
}

const fn git(
    method: &'static str,
    template: &'static str,
    need: Need,
    doc: &'static str,
    handler: Handler,
) -> Route {
    Route {
        method,
        template,
        need,
        git_data: true,
        doc,
        handler,
    }
}

use Need::{Admin, Contents, Jwt, Pulls, Read};

/// Every REST operation the emulator implements.
pub static ROUTES: &[Route] = &[
    route(
        "GET",
        "/user",
        Read,
        "users/users#get-the-authenticated-user",
        repos::get_user,
    ),
    route(
        "GET",
        "/user/repos",
        Read,
        "repos/repos#list-repositories-for-the-authenticated-user",
        repos::list_user_repos,
    ),
    route(
        "POST",
        "/user/repos",
        Admin,
        "repos/repos#create-a-repository-for-the-authenticated-user",
        repos::create_user_repo,
    ),
    route(
        "GET",
        "/orgs/{org}/repos",
        Read,
        "repos/repos#list-organization-repositories",
        repos::list_org_repos,
    ),
    route(
        "POST",
        "/orgs/{org}/repos",
        Admin,
        "repos/repos#create-an-organization-repository",
        repos::create_org_repo,
    ),
    route(
        "GET",
        "/users/{username}",
        Read,
        "users/users#get-a-user",
        repos::get_account,
    ),
    route(
        "GET",
        "/users/{username}/repos",
        Read,
        "repos/repos#list-repositories-for-a-user",
        repos::list_account_repos,
    ),
    route(
        "GET",
        "/installation/repositories",
        Read,
        "apps/installations#list-repositories-accessible-to-the-app-installation",
        repos::list_installation_repos,
    ),
    route(
        "GET",
        "/rate_limit",
        Read,
        "rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user",
        repos::rate_limit,
    ),
    route(
        "GET",
        "/repos/{owner}/{repo}",
        Read,
        "repos/repos#get-a-repository",
        repos::get_repo,
    ),
    route(
        "GET",
        "/repos/{owner}/{repo}/branches/{branch}",
        Read,
        "branches/branches#get-a-branch",
        repos::get_branch,
    ),
    git(
        "GET",
        "/repos/{owner}/{repo}/git/ref/{ref}",
        Read,
        "git/refs#get-a-reference",
        git_data::get_ref,
    ),
    git(
        "GET",
        "/repos/{owner}/{repo}/git/matching-refs/{ref}",
        Read,
        "git/refs#list-matching-references",
        git_data::matching_refs,
    ),
    git(
        "POST",
        "/repos/{owner}/{repo}/git/refs",
        Contents,
        "git/refs#create-a-reference",
        git_data::create_ref,
    ),
    git(
        "PATCH",
        "/repos/{owner}/{repo}/git/refs/{ref}",
        Contents,
        "git/refs#update-a-reference",
        git_data::update_ref,
    ),
    git(
        "DELETE",
        "/repos/{owner}/{repo}/git/refs/{ref}",
        Contents,
        "git/refs#delete-a-reference",
        git_data::delete_ref,
    ),
    git(
        "GET",
        "/repos/{owner}/{repo}/git/trees/{tree_sha}",
        Read,
        "git/trees#get-a-tree",
        git_data::get_tree,
    ),
    git(
        "POST",
        "/repos/{owner}/{repo}/git/trees",
        Contents,
        "git/trees#create-a-tree",
        git_data::create_tree,
    ),
    git(
        "GET",
        "/repos/{owner}/{repo}/git/blobs/{file_sha}",
        Read,
        "git/blobs#get-a-blob",
        git_data::get_blob,
    ),
    git(
        "POST",
        "/repos/{owner}/{repo}/git/blobs",
        Contents,
        "git/blobs#create-a-blob",
        git_data::create_blob,
    ),
    git(
        "GET",
        "/repos/{owner}/{repo}/git/commits/{commit_sha}",
        Read,
        "git/commits#get-a-commit-object",
        git_data::get_commit,
    ),
    git(
        "POST",
        "/repos/{owner}/{repo}/git/commits",
        Contents,
        "git/commits#create-a-commit",
        git_data::create_commit,
    ),
    route(
        "GET",
        "/repos/{owner}/{repo}/compare/{basehead}",
        Read,
        "commits/commits#compare-two-commits",
        compare::compare,
    ),
    route(
        "GET",
        "/repos/{owner}/{repo}/contents/{path}",
        Read,
        "repos/contents#get-repository-content",
        contents::get,
    ),
    route(
        "PUT",
        "/repos/{owner}/{repo}/contents/{path}",
        Contents,
        "repos/contents#create-or-update-file-contents",
        contents::put,
    ),
    route(
        "GET",
        "/repos/{owner}/{repo}/pulls",
        Read,
        "pulls/pulls#list-pull-requests",
        pulls::list,
    ),
    route(
        "POST",
        "/repos/{owner}/{repo}/pulls",
        Pulls,
        "pulls/pulls#create-a-pull-request",
        pulls::create,
    ),
    route(
        "GET",
        "/repos/{owner}/{repo}/pulls/{pull_number}",
        Read,
        "pulls/pulls#get-a-pull-request",
        pulls::get,
    ),
    route(
        "PATCH",
        "/repos/{owner}/{repo}/pulls/{pull_number}",
        Pulls,
        "pulls/pulls#update-a-pull-request",
        pulls::update,
    ),
    route(
        "POST",
        "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        Pulls,
        "pulls/review-requests#request-reviewers-for-a-pull-request",
        pulls::request_reviewers,
    ),
    route(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        Read,
        "issues/comments#list-issue-comments",
        pulls::list_comments,
    ),
    route(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        Pulls,
        "issues/comments#create-an-issue-comment",
        pulls::create_comment,
    ),
    route(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        Pulls,
        "issues/labels#add-labels-to-an-issue",
        pulls::add_labels,
    ),
    route(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/assignees",
        Pulls,
        "issues/assignees#add-assignees-to-an-issue",
        pulls::add_assignees,
    ),
    route(
        "GET",
        "/repos/{owner}/{repo}/installation",
        Jwt,
        "apps/apps#get-a-repository-installation-for-the-authenticated-app",
        apps::repo_installation,
    ),
    route(
        "GET",
        "/orgs/{org}/installation",
        Jwt,
        "apps/apps#get-an-organization-installation-for-the-authenticated-app",
        apps::org_installation,
    ),
    route(
        "GET",
        "/users/{username}/installation",
        Jwt,
        "apps/apps#get-a-user-installation-for-the-authenticated-app",
        apps::user_installation,
    ),
    route(
        "GET",
        "/app",
        Jwt,
        "apps/apps#get-the-authenticated-app",
        apps::get_app,
    ),
    route(
        "POST",
        "/app/installations/{installation_id}/access_tokens",
        Jwt,
        "apps/apps#create-an-installation-access-token-for-an-app",
        apps::create_access_token,
    ),
];

crate::route_operation!(Route);

/// Parameters that take the rest of the path, slashes included (`heads/feature/x`).
const GREEDY: Greedy = Greedy {
    names: &["ref", "path", "basehead", "branch"],
    may_be_empty: &[],
};

/// The route for `method` and decoded path `segments`, with its parameters.
pub fn find(method: &str, segments: &[String]) -> Option<(&'static Route, Params)> {
    routes::find(ROUTES, &GREEDY, method, segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::emulator::routes::segments;

    #[test]
    fn matches_templates() {
        let (route, params) =
            find("PATCH", &segments("/repos/o/r/git/refs/heads/feature/x")).expect("route");
        assert_eq!(route.template, "/repos/{owner}/{repo}/git/refs/{ref}");
        assert_eq!(params[2], ("ref", "heads/feature/x".to_owned()));
        let (route, _) = find("GET", &segments("/repos/o/r")).expect("route");
        assert_eq!(route.template, "/repos/{owner}/{repo}");
        assert!(find("GET", &segments("/repos/o/r/nothing")).is_none());
        assert!(find("GET", &segments("/repos/o/r/git/ref")).is_none());
    }
}
