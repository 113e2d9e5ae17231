//! Four validators on commonware's deterministic runtime and simulated network, each test a few
//! seconds: agreement, lying leaders, blobs between validators, crashes and bad links, Byzantine
//! voters.

mod agreement;
mod blobs;
mod byzantine;
mod harness;
mod liars;
mod recovery;
