//! End-to-end: the real `gensync` binary against the GitHub emulator, results checked with the
//! real `git` CLI on the emulator's bare repositories.

mod faults;
mod harness;
mod local_clone;
mod scenarios;
