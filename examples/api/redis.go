package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// redisCounter speaks just enough RESP for AUTH, SELECT and INCR, one connection per
// call (the demo's counter is not a hot path; no client library needed).
type redisCounter struct {
	addr     string
	user     string
	password string
	db       int
}

// newRedisCounter parses redis://[user[:password]@]host[:port][/db].
func newRedisCounter(raw string) (*redisCounter, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "redis" || u.Hostname() == "" {
		return nil, errors.New("REDIS_URL must be redis://[:password@]host[:port][/db]")
	}
	c := &redisCounter{addr: u.Host}
	if u.Port() == "" {
		c.addr = net.JoinHostPort(u.Hostname(), "6379")
	}
	if u.User != nil {
		c.user = u.User.Username()
		c.password, _ = u.User.Password()
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if c.db, err = strconv.Atoi(p); err != nil {
			return nil, errors.New("REDIS_URL: the path must be a database number")
		}
	}
	return c, nil
}

func (c *redisCounter) Incr(ctx context.Context, key string) (int64, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	}
	r := bufio.NewReader(conn)
	if c.password != "" {
		args := []string{"AUTH", c.password}
		if c.user != "" {
			args = []string{"AUTH", c.user, c.password}
		}
		if _, err := call(conn, r, args...); err != nil {
			return 0, fmt.Errorf("redis AUTH: %w", err)
		}
	}
	if c.db != 0 {
		if _, err := call(conn, r, "SELECT", strconv.Itoa(c.db)); err != nil {
			return 0, fmt.Errorf("redis SELECT: %w", err)
		}
	}
	reply, err := call(conn, r, "INCR", key)
	if err != nil {
		return 0, fmt.Errorf("redis INCR: %w", err)
	}
	return strconv.ParseInt(reply, 10, 64)
}

// call sends one command and reads a simple, error or integer reply.
func call(conn net.Conn, r *bufio.Reader, args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	default:
		return "", fmt.Errorf("unexpected reply %q", line)
	}
}
