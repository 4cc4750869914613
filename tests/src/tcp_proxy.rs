//! A TCP relay on 127.0.0.1 that a test can cut: an agent reaches the Kubernetes API
//! through it, and [`TcpProxy::cut`] severs that agent (and only it) from the API, as
//! a network partition would: open connections are shut down, new ones refused.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct TcpProxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

fn pipe(mut from: TcpStream, mut to: TcpStream, cut: Arc<AtomicBool>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) if !cut.load(Ordering::SeqCst) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Ok(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

impl TcpProxy {
    /// Relays a free port on 127.0.0.1 to `upstream`.
    pub fn start(upstream: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        listener.set_nonblocking(true).expect("nonblocking accept");
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (c, o) = (cut.clone(), open.clone());
        std::thread::spawn(move || loop {
            match listener.accept() {
                Ok((client, _)) if !c.load(Ordering::SeqCst) => {
                    let _ = client.set_nonblocking(false);
                    let Ok(server) = TcpStream::connect(upstream) else {
                        continue;
                    };
                    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                        continue;
                    };
                    {
                        let mut o = o.lock().expect("proxy lock");
                        o.extend(client.try_clone().ok());
                        o.extend(server.try_clone().ok());
                    }
                    let (cc, cs) = (c.clone(), c.clone());
                    std::thread::spawn(move || pipe(client, s2, cc));
                    std::thread::spawn(move || pipe(server, c2, cs));
                }
                // Cut: refuse by closing at once.
                Ok((client, _)) => drop(client),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        });
        TcpProxy { addr, cut, open }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Severs every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for s in self.open.lock().expect("proxy lock").drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}
