//! Tests of the provider emulators themselves: plain HTTP requests, results checked with the
//! `git` CLI on the emulator's bare repositories.

mod support;

mod binary;
mod github_auth;
mod github_faults;
mod github_graphql;
mod github_graphql_reads;
mod github_pulls;
mod github_record;
mod github_repos;
mod github_rest;
mod github_validation;
