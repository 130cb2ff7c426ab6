//! Reading a server's answers off a bare TCP connection, for tests that must stall a request
//! or leave an answer unread (which the [`super::client::Client`] does not).

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Reads until the server closes the connection, within `timeout`.
pub async fn read_to_close(stream: &mut TcpStream, timeout: Duration) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(timeout, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8(answer).unwrap()
}

/// Reads one whole answer, up to `end` (the end of its body), within `timeout`.
pub async fn read_answer(stream: &mut TcpStream, end: &str, timeout: Duration) -> String {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !answer.ends_with(end.as_bytes()) {
        let n = tokio::time::timeout(timeout, stream.read(&mut chunk))
            .await
            .expect("no answer in time")
            .unwrap();
        assert!(n > 0, "closed before the answer: {answer:?}");
        answer.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(answer).unwrap()
}
