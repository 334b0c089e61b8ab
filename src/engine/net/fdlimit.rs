//! Raises the open-file limit, so thousands of connections work out of the
//! box: the soft limit to the hard one, and where the process may (running
//! with the privilege to), the hard limit too.

/// Open files wanted: 10,000 connections with both ends in one process, and room to spare.
#[cfg(unix)]
const WANTED: u64 = 65_536;

/// Raises the limit on open files; returns the soft limit now in force, if
/// the platform has one.
pub fn raise() -> Option<u64> {
    #[cfg(unix)]
    {
        use rlimit::Resource;
        if let Ok((soft, hard)) = Resource::NOFILE.get()
            && hard < WANTED
        {
            // Only a privileged process may raise its hard limit; others keep theirs.
            let _ = Resource::NOFILE.set(soft.max(WANTED), WANTED);
        }
    }
    rlimit::increase_nofile_limit(u64::MAX).ok()
}
