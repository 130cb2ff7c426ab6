//! RFC 2385 TCP MD5 signatures, set with Linux's TCP_MD5SIG socket option: on the socket we
//! connect from, and on the listening socket for each peer address.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;

/// `struct tcp_md5sig` of linux/tcp.h (the libc crate does not define it).
#[repr(C)]
struct TcpMd5Sig {
    tcpm_addr: libc::sockaddr_storage,
    tcpm_flags: u8,
    tcpm_prefixlen: u8,
    tcpm_keylen: u16,
    tcpm_ifindex: libc::c_int,
    tcpm_key: [u8; 80],
}

/// Sets (or, with `None`, removes) the key used with `peer` on `socket`.
pub fn set_md5_key(socket: &impl AsRawFd, peer: IpAddr, key: Option<&str>) -> io::Result<()> {
    let key = key.unwrap_or("").as_bytes();
    // TCP_MD5SIG_MAXKEYLEN is 80.
    if key.len() > 80 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "TCP MD5 key longer than 80 octets",
        ));
    }
    // SAFETY: TcpMd5Sig is plain old data; zeroed is a valid value.
    let mut sig: TcpMd5Sig = unsafe { std::mem::zeroed() };
    let addr = SocketAddr::new(peer, 0);
    // SAFETY: sockaddr_storage is large enough for both address families; we write only the
    // bytes of the matching sockaddr type.
    unsafe {
        match addr {
            SocketAddr::V4(a) => {
                let sin =
                    &mut sig.tcpm_addr as *mut libc::sockaddr_storage as *mut libc::sockaddr_in;
                (*sin).sin_family = libc::AF_INET as libc::sa_family_t;
                (*sin).sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
            }
            SocketAddr::V6(a) => {
                let sin6 =
                    &mut sig.tcpm_addr as *mut libc::sockaddr_storage as *mut libc::sockaddr_in6;
                (*sin6).sin6_family = libc::AF_INET6 as libc::sa_family_t;
                (*sin6).sin6_addr.s6_addr = a.ip().octets();
            }
        }
    }
    sig.tcpm_keylen = key.len() as u16;
    sig.tcpm_key[..key.len()].copy_from_slice(key);
    // SAFETY: valid fd, pointer and length of a tcp_md5sig.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_MD5SIG,
            &sig as *const TcpMd5Sig as *const libc::c_void,
            std::mem::size_of::<TcpMd5Sig>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
