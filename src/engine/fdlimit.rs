//! Raises the open-file soft limit to the hard limit, so thousands of
//! connections work out of the box.

/// Raises the soft limit on open files as far as the hard limit allows;
/// returns the limit now in force, if the platform has one.
pub fn raise() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}
