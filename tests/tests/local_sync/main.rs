//! End-to-end: the real `gensync` binary with `--provider local` on bare and non-bare
//! repositories, results checked with the real `git` CLI; and the same tree as the GitHub
//! backend for the same input.

mod harness;
mod same_tree;
mod scenarios;
