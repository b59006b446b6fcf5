package remote

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestMain releases the hold on the local sshd that tests took through
// scripts/services.sh (it stops sshd only if a hold started it and no other
// holder remains; SLIPWAY_KEEP_SERVICES=1 keeps it).
func TestMain(m *testing.M) {
	// Only tests that set it use an agent; a developer's agent must not change results.
	os.Unsetenv("SSH_AUTH_SOCK")
	code := m.Run()
	if sshdHeld && os.Getenv("SLIPWAY_KEEP_SERVICES") != "1" {
		out, err := exec.Command("bash", servicesScript, "release", sshdHoldID(), "sshd").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "releasing sshd: %v\n%s", err, out)
		}
	}
	os.Exit(code)
}

// ---- keys

func newKey(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, string(pem.EncodeToMemory(block))
}

func authorizedKey(s ssh.Signer) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))
}

// ---- the local sshd (scripts/services.sh up sshd)

var (
	repoRoot       = findRepoRoot()
	servicesScript = filepath.Join(repoRoot, "scripts", "services.sh")
	sshdOnce       sync.Once
	sshdErr        error
	sshdHeld       bool
)

func findRepoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "scripts", "services.sh")); err == nil {
			return d
		}
	}
	return dir
}

func sshdHoldID() string { return fmt.Sprintf("go-test-%d", os.Getpid()) }

func slipwayHome() string {
	if h := os.Getenv("SLIPWAY_HOME"); h != "" {
		return h
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "slipway")
}

// localSSHD is the local deploy target: root@127.0.0.1:2222 with the key
// state/ssh/id_ed25519, started (or found running) by scripts/services.sh.
type localSSHD struct {
	host       string
	port       float64
	privateKey string
	hostKey    string // "ssh-ed25519 AAAA…"
}

func requireSSHD(t *testing.T) localSSHD {
	t.Helper()
	sshdOnce.Do(func() {
		cmd := exec.Command("bash", servicesScript, "up", "--hold", sshdHoldID(),
			"--pid", fmt.Sprint(os.Getpid()), "sshd")
		out, err := cmd.CombinedOutput()
		if err != nil {
			sshdErr = fmt.Errorf("bash scripts/services.sh up sshd failed: %v\n%s", err, out)
			return
		}
		sshdHeld = true
	})
	if sshdErr != nil {
		t.Fatal(sshdErr)
	}
	dir := filepath.Join(slipwayHome(), "state", "ssh")
	key, err := os.ReadFile(filepath.Join(dir, "id_ed25519"))
	if err != nil {
		t.Fatalf("the local sshd's key: %v", err)
	}
	known, err := os.ReadFile(filepath.Join(dir, "known_hosts"))
	if err != nil {
		t.Fatalf("the local sshd's known_hosts: %v", err)
	}
	fields := strings.Fields(string(known))
	if len(fields) < 3 {
		t.Fatalf("unexpected known_hosts: %q", known)
	}
	return localSSHD{host: "127.0.0.1", port: 2222, privateKey: string(key), hostKey: fields[1] + " " + fields[2]}
}

func (s localSSHD) connection() Connection {
	return Connection{ConnectionBase: ConnectionBase{Host: s.host, Port: &s.port, PrivateKey: &s.privateKey, DialErrorLimit: ptr(0)}}
}

func ptr[T any](v T) *T { return &v }

// ---- an in-test SSH server

// testServer is a minimal SSH server on 127.0.0.1: it accepts the given client
// keys, answers env requests as told, runs exec requests through exec, and
// forwards direct-tcpip channels (so it can act as a bastion).
type testServer struct {
	addr      string
	port      float64
	acceptEnv bool
	exec      func(cmd string, env map[string]string, ch ssh.Channel) uint32

	mu       sync.Mutex
	env      []string // names of env requests received
	commands []string
	authTry  int
	conns    map[*ssh.ServerConn]chan struct{} // closed when the connection ends
}

func startServer(t *testing.T, clientKey ssh.PublicKey, hostKeys ...ssh.Signer) *testServer {
	t.Helper()
	srv := &testServer{conns: map[*ssh.ServerConn]chan struct{}{}}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			srv.mu.Lock()
			srv.authTry++
			srv.mu.Unlock()
			if clientKey != nil && string(key.Marshal()) == string(clientKey.Marshal()) {
				return nil, nil
			}
			return nil, fmt.Errorf("unknown key")
		},
	}
	if len(hostKeys) == 0 {
		hk, _ := newKey(t)
		hostKeys = []ssh.Signer{hk}
	}
	for _, k := range hostKeys {
		cfg.AddHostKey(k)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv.addr = ln.Addr().String()
	srv.port = float64(ln.Addr().(*net.TCPAddr).Port)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.serve(nc, cfg)
		}
	}()
	return srv
}

func (s *testServer) serve(nc net.Conn, cfg *ssh.ServerConfig) {
	conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		nc.Close()
		return
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.conns[conn] = done
	s.mu.Unlock()
	go ssh.DiscardRequests(reqs)
	go func() {
		_ = conn.Wait()
		close(done)
	}()
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			ch, creqs, err := nch.Accept()
			if err != nil {
				continue
			}
			go s.session(ch, creqs)
		case "direct-tcpip":
			var target struct {
				Host       string
				Port       uint32
				OriginHost string
				OriginPort uint32
			}
			if err := ssh.Unmarshal(nch.ExtraData(), &target); err != nil {
				_ = nch.Reject(ssh.ConnectionFailed, err.Error())
				continue
			}
			up, err := net.Dial("tcp", net.JoinHostPort(target.Host, fmt.Sprint(target.Port)))
			if err != nil {
				_ = nch.Reject(ssh.ConnectionFailed, err.Error())
				continue
			}
			ch, creqs, err := nch.Accept()
			if err != nil {
				up.Close()
				continue
			}
			go ssh.DiscardRequests(creqs)
			go func() { _, _ = io.Copy(ch, up); ch.Close() }()
			go func() { _, _ = io.Copy(up, ch); up.Close() }()
		default:
			_ = nch.Reject(ssh.UnknownChannelType, "not here")
		}
	}
}

func (s *testServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	env := map[string]string{}
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			_ = ssh.Unmarshal(req.Payload, &kv)
			s.mu.Lock()
			s.env = append(s.env, kv.Name)
			s.mu.Unlock()
			if s.acceptEnv {
				env[kv.Name] = kv.Value
			}
			_ = req.Reply(s.acceptEnv, nil)
		case "exec":
			var cmd struct{ Command string }
			_ = ssh.Unmarshal(req.Payload, &cmd)
			s.mu.Lock()
			s.commands = append(s.commands, cmd.Command)
			s.mu.Unlock()
			_ = req.Reply(true, nil)
			var status uint32
			if s.exec != nil {
				status = s.exec(cmd.Command, env, ch)
			}
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

func (s *testServer) connection(key string) Connection {
	host, _, _ := net.SplitHostPort(s.addr)
	return Connection{ConnectionBase: ConnectionBase{Host: host, Port: ptr(s.port), PrivateKey: &key, DialErrorLimit: ptr(0)}}
}

func (s *testServer) received() (env, commands []string, authTries int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.env...), append([]string(nil), s.commands...), s.authTry
}

// waitAllClosed fails unless every connection the server accepted has ended within d.
func (s *testServer) waitAllClosed(t *testing.T, d time.Duration) {
	t.Helper()
	s.mu.Lock()
	var done []chan struct{}
	for _, c := range s.conns {
		done = append(done, c)
	}
	s.mu.Unlock()
	if len(done) == 0 {
		t.Fatal("the server saw no connection")
	}
	deadline := time.After(d)
	for _, c := range done {
		select {
		case <-c:
		case <-deadline:
			t.Fatalf("a connection to the server %s was still open after %s", s.addr, d)
		}
	}
}

func newECDSAKey(t *testing.T) ssh.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rsaPublicKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
