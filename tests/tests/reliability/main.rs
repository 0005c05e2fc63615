//! Reliability and security (issue 7): the real `gensync` binary against the provider
//! emulators under faults, crashes, races and bad inputs, checked with the real `git` CLI.
//! The figures of the fault-injection suite are in RELIABILITY.md.

mod bad_input;
mod crash;
mod encoding;
mod faults;
mod harness;
mod secrets;
