//! The open files limit, raised at start from the soft to the hard limit. Each BGP peer,
//! API client and netlink socket is a descriptor, and the soft limit most distributions
//! give a process (1024) is the one `select()` needed in its day, which we do not use; the
//! hard limit is what the administrator allows. (Go's runtime does the same for every
//! program.)

use std::io;

/// Raises the soft limit to the hard one; returns the limit now in force.
pub fn raise_soft_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the limits into `limit`, which it may.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads `raised`.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(io::Error::last_os_error());
        }
        limit = raised;
    }
    Ok(limit.rlim_cur)
}
