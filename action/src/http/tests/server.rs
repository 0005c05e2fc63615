//! A tiny HTTP/1.1 server on a loopback address for the client's tests: each connection
//! carries one request, answered by a script of [`Action`]s, and every request is recorded.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with the next request.
#[derive(Clone, Debug)]
pub enum Action {
    /// Answers with a status, headers and a body.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Reads the request, then closes the connection without answering.
    Drop,
    /// Reads the request, then says nothing for this long before closing.
    Stall(Duration),
}

impl Action {
    pub fn status(status: u16) -> Action {
        Action::Respond {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn json(status: u16, body: &str) -> Action {
        Action::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn with_header(self, name: &str, value: &str) -> Action {
        match self {
            Action::Respond {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Action::Respond {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

type Responder = Box<dyn Fn(&Seen, &str) -> Action + Send>;

/// A running server; stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    /// `http://host:port` (host as the test chose to name it).
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// A server on 127.0.0.1 answering with `script` in order (then 500s).
    pub fn scripted(script: Vec<Action>) -> Server {
        Server::start(IpAddr::V4(Ipv4Addr::LOCALHOST), None, scripted(script))
    }

    /// A server on `ip`, named `host` in its base URL (default: the IP), answering with
    /// `respond(request, own_base)`.
    pub fn start(
        ip: IpAddr,
        host: Option<&str>,
        respond: impl Fn(&Seen, &str) -> Action + Send + 'static,
    ) -> Server {
        let listener = TcpListener::bind((ip, 0)).expect("bind a loopback port");
        Server::on(listener, host, Box::new(respond))
    }

    /// A second origin for cross-host tests: 127.0.0.2 where the machine allows binding it,
    /// else 127.0.0.1 named `localhost` (another host as far as origins go).
    pub fn other_host(respond: impl Fn(&Seen, &str) -> Action + Send + 'static) -> Server {
        match TcpListener::bind((Ipv4Addr::new(127, 0, 0, 2), 0)) {
            Ok(listener) => Server::on(listener, None, Box::new(respond)),
            Err(_) => Server::start(IpAddr::V4(Ipv4Addr::LOCALHOST), Some("localhost"), respond),
        }
    }

    fn on(listener: TcpListener, host: Option<&str>, respond: Responder) -> Server {
        let addr = listener.local_addr().expect("bound address");
        let base = format!(
            "http://{}:{}",
            host.map_or_else(|| addr.ip().to_string(), str::to_owned),
            addr.port()
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop, base) = (Arc::clone(&seen), Arc::clone(&stop), base.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    serve(stream, &seen, &*respond, &base);
                }
            })
        };
        Server {
            addr,
            base,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("server lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn scripted(script: Vec<Action>) -> impl Fn(&Seen, &str) -> Action + Send + 'static {
    let script = Mutex::new(VecDeque::from(script));
    move |_, _| {
        script
            .lock()
            .expect("script lock")
            .pop_front()
            .unwrap_or_else(|| Action::status(500))
    }
}

fn serve(
    stream: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    respond: &dyn Fn(&Seen, &str) -> Action,
    base: &str,
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set timeout");
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    seen.lock().expect("server lock").push(request.clone());
    let mut stream = stream;
    match respond(&request, base) {
        Action::Respond {
            status,
            headers,
            body,
        } => {
            let mut head = format!("HTTP/1.1 {status} Status\r\n");
            for (k, v) in &headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
        Action::Drop => {}
        Action::Stall(duration) => std::thread::sleep(duration),
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let method = words.next()?.to_owned();
    let path = words.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    assert!(
        !headers.iter().any(|(k, _)| k == "transfer-encoding"),
        "the client sends bodies with a length"
    );
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}
