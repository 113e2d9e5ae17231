//! Transparent huge pages off for this process and the nodes it starts.
//!
//! mimalloc asks the kernel for huge pages on its arenas and gives freed memory back as it goes.
//! With huge pages, every refault of such memory makes the kernel zero a whole 2 MiB page: under
//! load a node spent a sixth of its CPU in `clear_page_erms` (system time 14.5 s against 4.5 s
//! without, `sinew bench bft`, BENCHMARKS.md). Index builds measured the same either way. The
//! flag is inherited by child processes, so a devnet's nodes carry it too.

/// Turns transparent huge pages off for this process; a kernel that refuses is only logged.
pub fn disable() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and touches no memory of ours.
        let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
        if rc != 0 {
            tracing::debug!("transparent huge pages stay on: {}", std::io::Error::last_os_error());
        }
    }
}
