//! A minimal HTTP/1.1 client over a blocking socket, so that the benchmark measures the
//! server and not a client library: one request at a time on a kept-alive connection, or a
//! new connection per request (`Connection: close`), as the OpenStack agent does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{bail, Context};

const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    addr: SocketAddr,
    keep_alive: bool,
    conn: Option<BufReader<TcpStream>>,
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// The server closes the connection after this response.
    close: bool,
}

impl Client {
    pub fn new(addr: SocketAddr, keep_alive: bool) -> Client {
        Client {
            addr,
            keep_alive,
            conn: None,
        }
    }

    fn connection(&mut self) -> anyhow::Result<&mut BufReader<TcpStream>> {
        if self.conn.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, TIMEOUT)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(TIMEOUT))?;
            s.set_write_timeout(Some(TIMEOUT))?;
            self.conn = Some(BufReader::with_capacity(64 * 1024, s));
        }
        Ok(self.conn.as_mut().expect("connected"))
    }

    pub fn get(&mut self, path: &str) -> anyhow::Result<Response> {
        self.request("GET", path, None)
    }

    pub fn post_json(&mut self, path: &str, body: &[u8]) -> anyhow::Result<Response> {
        self.request("POST", path, Some(body))
    }

    /// Sends one request and reads its response. An error drops the connection (the next
    /// request opens a new one).
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> anyhow::Result<Response> {
        let r = self.exchange(method, path, body);
        if !self.keep_alive || r.as_ref().map_or(true, |r| r.close) {
            self.conn = None;
        }
        r
    }

    fn exchange(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> anyhow::Result<Response> {
        let host = self.addr;
        let keep_alive = self.keep_alive;
        let conn = self.connection()?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: {}\r\nAccept: application/json\r\n",
            if keep_alive { "keep-alive" } else { "close" }
        );
        if let Some(b) = body {
            req += &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            );
        }
        req += "\r\n";
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        conn.get_mut().write_all(&bytes).context("sending")?;
        read_response(conn)
    }
}

fn read_response(conn: &mut BufReader<TcpStream>) -> anyhow::Result<Response> {
    let mut line = String::new();
    if conn
        .read_line(&mut line)
        .context("reading the status line")?
        == 0
    {
        bail!("connection closed before a response");
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {line:?}"))?;
    let mut length = None;
    let mut chunked = false;
    // HTTP/1.0 closes after each response unless the server says otherwise.
    let mut close = line.starts_with("HTTP/1.0");
    loop {
        line.clear();
        conn.read_line(&mut line).context("reading headers")?;
        let h = line.trim_end();
        if h.is_empty() {
            break;
        }
        let Some((name, value)) = h.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse::<usize>().ok(),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" => close = !value.eq_ignore_ascii_case("keep-alive"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .context("bad chunk size")?;
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        conn.read_exact(&mut body).context("reading the body")?;
    } else if close {
        conn.read_to_end(&mut body)?;
    }
    if close {
        let _ = conn.get_ref().shutdown(std::net::Shutdown::Both);
    }
    Ok(Response {
        status,
        body,
        close,
    })
}

impl Response {
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

/// One GET on a new connection; `None` on any failure.
pub fn get_json(addr: SocketAddr, path: &str) -> Option<serde_json::Value> {
    let r = Client::new(addr, false).get(path).ok()?;
    (r.status == 200).then(|| r.json().ok()).flatten()
}
