package failure_test

import (
	"net"
	"sync"
	"testing"
)

// proxy is a TCP proxy between driftgate and the API server that a test can freeze: frozen,
// it accepts connections and reads what is sent but passes nothing on, as a partitioned or
// overloaded API server looks from driftgate; thawed, it drops the connections it held (what
// was sent while frozen is lost) and passes traffic again.
type proxy struct {
	ln       net.Listener
	upstream string

	mu     sync.Mutex
	frozen bool
	thawed chan struct{}
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, upstream string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, upstream: upstream, thawed: make(chan struct{}), conns: map[net.Conn]bool{}}
	close(p.thawed)
	go p.accept()
	t.Cleanup(func() { _ = ln.Close(); p.dropAll() })
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// freeze stops passing traffic on every connection, open or new.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.frozen, p.thawed = true, make(chan struct{})
	}
}

// thaw drops the held connections and passes traffic again.
func (p *proxy) thaw() {
	p.mu.Lock()
	if p.frozen {
		p.frozen = false
		close(p.thawed)
	}
	p.mu.Unlock()
	p.dropAll()
}

func (p *proxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *proxy) accept() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = down.Close()
			continue
		}
		p.mu.Lock()
		p.conns[down], p.conns[up] = true, true
		p.mu.Unlock()
		go p.pipe(up, down)
		go p.pipe(down, up)
	}
}

// pipe copies from src to dst, holding each chunk while the proxy is frozen and dropping it
// if the proxy thaws meanwhile (the connection is closed then).
func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.pass(dst, buf[:n]) {
			return
		}
		if err != nil {
			_ = dst.Close()
			return
		}
	}
}

func (p *proxy) pass(dst net.Conn, chunk []byte) bool {
	p.mu.Lock()
	frozen, thawed := p.frozen, p.thawed
	p.mu.Unlock()
	if frozen {
		<-thawed
		return false
	}
	_, err := dst.Write(chunk)
	return err == nil
}
