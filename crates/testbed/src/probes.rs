//! What a person would check by hand — ping, an ARP request, a capture on the underlay —
//! done with raw sockets, so the tests need no tool but `ip`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::netns::{enter, in_netns};

static NEXT_ID: AtomicU16 = AtomicU16::new(1);

/// An ICMP echo from namespace `ns` to `dst`: true when a reply comes (3 tries, 1 s each).
pub fn ping(ns: &str, dst: &str) -> bool {
    let dst: IpAddr = dst.parse().expect("address");
    in_netns(ns, move || (0..3).any(|seq| echo(dst, seq)))
}

/// One ICMP echo, for checks that expect no answer (a ping that succeeds needs a few tries
/// for address resolution; one that must fail need not wait three times).
pub fn no_reply(ns: &str, dst: &str) -> bool {
    let dst: IpAddr = dst.parse().expect("address");
    in_netns(ns, move || !echo(dst, 0))
}

fn echo(dst: IpAddr, seq: u16) -> bool {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) ^ (std::process::id() as u16);
    let fd = icmp_socket(dst);
    fd.timeout(Duration::from_millis(200));
    fd.send_to_ip(&echo_request(dst, id, seq), dst);
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = [0u8; 2048];
    while Instant::now() < deadline {
        let Some(n) = fd.recv(&mut buf) else { continue };
        if echo_reply(dst, &buf[..n]) == Some((id, seq)) {
            return true;
        }
    }
    false
}

fn icmp_socket(dst: IpAddr) -> Fd {
    let (domain, proto) = match dst {
        IpAddr::V4(_) => (libc::AF_INET, libc::IPPROTO_ICMP),
        IpAddr::V6(_) => (libc::AF_INET6, libc::IPPROTO_ICMPV6),
    };
    Fd::new(unsafe { libc::socket(domain, libc::SOCK_RAW, proto) })
}

fn echo_request(dst: IpAddr, id: u16, seq: u16) -> Vec<u8> {
    let request = if dst.is_ipv4() { 8u8 } else { 128 };
    let mut packet = vec![request, 0, 0, 0];
    packet.extend(id.to_be_bytes());
    packet.extend(seq.to_be_bytes());
    packet.extend(b"bagpipe-rs probe");
    if dst.is_ipv4() {
        // The kernel fills the checksum in for ICMPv6 only.
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// The identifier and sequence number of an echo reply to a request sent to `dst`.
fn echo_reply(dst: IpAddr, packet: &[u8]) -> Option<(u16, u16)> {
    let (icmp, reply) = match dst {
        // Raw IPv4 sockets hand over the IP header too.
        IpAddr::V4(_) => (packet.get(usize::from(packet.first()? & 0xf) * 4..)?, 0u8),
        IpAddr::V6(_) => (packet, 129),
    };
    (icmp.len() >= 8 && icmp[0] == reply).then(|| {
        (
            u16::from_be_bytes([icmp[4], icmp[5]]),
            u16::from_be_bytes([icmp[6], icmp[7]]),
        )
    })
}

/// Pings one address from a namespace every few milliseconds until told to stop, to measure
/// how much traffic an event (a daemon restart) loses.
pub struct PingLoss {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<LossReport>,
}

/// What a [`PingLoss`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LossReport {
    pub sent: u32,
    pub lost: u32,
    /// The longest run of consecutive unanswered echoes.
    pub longest_outage: u32,
    pub interval: Duration,
}

impl std::fmt::Display for LossReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lost of {} echoes sent every {:?} (longest outage: {} in a row, {:?})",
            self.lost,
            self.sent,
            self.interval,
            self.longest_outage,
            self.interval * self.longest_outage
        )
    }
}

impl PingLoss {
    pub fn start(ns: &str, dst: &str, interval: Duration) -> Self {
        let dst: IpAddr = dst.parse().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let ns = ns.to_string();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            enter(&ns);
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed) ^ (std::process::id() as u16);
            let fd = icmp_socket(dst);
            fd.timeout(Duration::from_millis(1));
            ready_tx.send(()).unwrap();
            let mut answered: Vec<bool> = Vec::new();
            let mut next = Instant::now();
            let mut stopping_at: Option<Instant> = None;
            let mut buf = [0u8; 2048];
            loop {
                let now = Instant::now();
                match stopping_at {
                    // Late replies still count.
                    Some(at) if now >= at => break,
                    None if flag.load(Ordering::Relaxed) => {
                        stopping_at = Some(now + Duration::from_millis(300));
                    }
                    None if now >= next => {
                        let seq = answered.len() as u16;
                        fd.send_to_ip(&echo_request(dst, id, seq), dst);
                        answered.push(false);
                        next += interval;
                    }
                    _ => {}
                }
                if let Some(n) = fd.recv(&mut buf) {
                    if let Some((rid, seq)) = echo_reply(dst, &buf[..n]) {
                        if let Some(a) = answered.get_mut(usize::from(seq)).filter(|_| rid == id) {
                            *a = true;
                        }
                    }
                }
            }
            let mut report = LossReport {
                sent: answered.len() as u32,
                lost: 0,
                longest_outage: 0,
                interval,
            };
            let mut run = 0;
            for a in answered {
                run = if a { 0 } else { run + 1 };
                report.lost += u32::from(!a);
                report.longest_outage = report.longest_outage.max(run);
            }
            report
        });
        ready.recv().expect("ping thread");
        PingLoss { stop, thread }
    }

    pub fn finish(self) -> LossReport {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("ping thread")
    }
}

/// Sends one ARP request for `target` out of `ifname` (in `ns`) and returns the MAC in the
/// reply, if one comes within a second.
pub fn arp(
    ns: &str,
    ifname: &str,
    own_mac: [u8; 6],
    own_ip: Ipv4Addr,
    target: Ipv4Addr,
) -> Option<[u8; 6]> {
    let ifname = ifname.to_string();
    in_netns(ns, move || {
        let fd = Fd::new(unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW,
                i32::from(0x0806u16.to_be()),
            )
        });
        fd.timeout(Duration::from_millis(200));
        let index = if_index(&ifname);
        let mut frame = vec![0xff; 6];
        frame.extend(own_mac);
        frame.extend([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
        frame.extend(own_mac);
        frame.extend(own_ip.octets());
        frame.extend([0; 6]);
        frame.extend(target.octets());
        fd.send_frame(&frame, index);
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut buf = [0u8; 2048];
        while Instant::now() < deadline {
            let Some(n) = fd.recv(&mut buf) else { continue };
            let f = &buf[..n];
            if n >= 42 && f[12..14] == [8, 6] && f[20..22] == [0, 2] && f[28..32] == target.octets()
            {
                return Some(f[22..28].try_into().unwrap());
            }
        }
        None
    })
}

/// Counts VXLAN-encapsulated broadcast ARP requests for one address, seen on any interface
/// of a namespace (unicast requests are the kernel re-checking a neighbour it knows).
pub struct VxlanArpCapture {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<usize>,
}

impl VxlanArpCapture {
    pub fn start(ns: &str, target: Ipv4Addr) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let ns = ns.to_string();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            enter(&ns);
            let fd = Fd::new(unsafe {
                libc::socket(
                    libc::AF_PACKET,
                    libc::SOCK_RAW,
                    i32::from((libc::ETH_P_ALL as u16).to_be()),
                )
            });
            fd.timeout(Duration::from_millis(50));
            ready_tx.send(()).unwrap();
            let mut count = 0;
            let mut buf = [0u8; 2048];
            while !flag.load(Ordering::Relaxed) {
                if let Some(n) = fd.recv(&mut buf) {
                    count += usize::from(is_vxlan_arp_request(&buf[..n], target));
                }
            }
            count
        });
        ready.recv().expect("capture thread");
        VxlanArpCapture { stop, thread }
    }

    /// Stops after letting late packets arrive; returns the count.
    pub fn finish(self) -> usize {
        std::thread::sleep(Duration::from_millis(300));
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("capture thread")
    }
}

fn is_vxlan_arp_request(f: &[u8], target: Ipv4Addr) -> bool {
    if f.len() < 14 + 20 || f[12..14] != [8, 0] || f[14 + 9] != 17 {
        return false;
    }
    let udp = 14 + usize::from(f[14] & 0xf) * 4;
    let inner = udp + 8 + 8;
    let arp = inner + 14;
    f.len() >= arp + 28
        && f[udp + 2..udp + 4] == 4789u16.to_be_bytes()
        && f[inner..inner + 6] == [0xff; 6]
        && f[inner + 12..inner + 14] == [8, 6]
        && f[arp + 6..arp + 8] == [0, 1]
        && f[arp + 24..arp + 28] == target.octets()
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn if_index(name: &str) -> i32 {
    let c = std::ffi::CString::new(name).unwrap();
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    assert!(index != 0, "no interface {name}");
    index as i32
}

/// A socket descriptor, closed on drop.
struct Fd(i32);

impl Fd {
    fn new(fd: i32) -> Fd {
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        Fd(fd)
    }

    fn timeout(&self, t: Duration) {
        let tv = libc::timeval {
            tv_sec: t.as_secs() as _,
            tv_usec: t.subsec_micros() as _,
        };
        let rc = unsafe {
            libc::setsockopt(
                self.0,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as u32,
            )
        };
        assert_eq!(rc, 0);
    }

    fn recv(&self, buf: &mut [u8]) -> Option<usize> {
        let n = unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
        (n > 0).then_some(n as usize)
    }

    fn send_to_ip(&self, data: &[u8], dst: IpAddr) {
        let rc = match dst {
            IpAddr::V4(a) => {
                let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
                sa.sin_family = libc::AF_INET as u16;
                sa.sin_addr.s_addr = u32::from_ne_bytes(a.octets());
                unsafe {
                    libc::sendto(
                        self.0,
                        data.as_ptr().cast(),
                        data.len(),
                        0,
                        (&sa as *const libc::sockaddr_in).cast(),
                        std::mem::size_of_val(&sa) as u32,
                    )
                }
            }
            IpAddr::V6(a) => {
                let mut sa: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
                sa.sin6_family = libc::AF_INET6 as u16;
                sa.sin6_addr.s6_addr = a.octets();
                unsafe {
                    libc::sendto(
                        self.0,
                        data.as_ptr().cast(),
                        data.len(),
                        0,
                        (&sa as *const libc::sockaddr_in6).cast(),
                        std::mem::size_of_val(&sa) as u32,
                    )
                }
            }
        };
        // No route is a failed ping, not a broken test.
        let _ = rc;
    }

    fn send_frame(&self, frame: &[u8], ifindex: i32) {
        let mut sa: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sa.sll_family = libc::AF_PACKET as u16;
        sa.sll_ifindex = ifindex;
        sa.sll_halen = 6;
        sa.sll_addr[..6].copy_from_slice(&frame[..6]);
        let rc = unsafe {
            libc::sendto(
                self.0,
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&sa as *const libc::sockaddr_ll).cast(),
                std::mem::size_of_val(&sa) as u32,
            )
        };
        assert!(rc > 0, "send ARP: {}", std::io::Error::last_os_error());
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        unsafe { libc::close(self.0) };
    }
}
