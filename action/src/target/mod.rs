//! Git repositories on disk, through gitoxide: the local target ([`local`]) and reading a
//! provider's repository from a local clone ([`clone`]).

pub mod clone;
pub mod local;
