package freeport

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// The range searched: below Linux's default ephemeral range.
const (
	Lo = 20000
	Hi = 32000
)

var (
	mu sync.Mutex
	// reserved maps each port this process holds to its reservation (nil
	// where reservations are not supported).
	reserved = map[int]net.Listener{}
)

// Find returns the first port (base) of a block of span ports in [Lo, Hi),
// at a multiple of span from Lo, whose ports listed by ports(base) are all
// free on 127.0.0.1 and not reserved by any process using this package; it
// reserves them for this process. The search starts at a block derived
// from the process ID and the clock, so that processes running at once
// rarely probe the same blocks.
func Find(span int, ports func(base int) []int) (int, error) {
	if span < 1 || span > Hi-Lo {
		return 0, fmt.Errorf("freeport: span %d out of range", span)
	}
	slots := (Hi - Lo) / span
	start := int((int64(os.Getpid())*7919 + time.Now().UnixNano()/1e6) % int64(slots))
	for k := 0; k < slots; k++ {
		base := Lo + ((start+k)%slots)*span
		if tryBlock(ports(base)) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no free block of %d ports between %d and %d", span, Lo, Hi)
}

// tryBlock reserves every port of the block and checks that each is free;
// on any failure it gives back what it reserved.
func tryBlock(ports []int) bool {
	mu.Lock()
	defer mu.Unlock()
	var got []int
	ok := true
	for _, p := range ports {
		if p <= 0 || p > 65535 {
			ok = false
			break
		}
		if _, mine := reserved[p]; mine {
			ok = false // this process already uses it
			break
		}
		r, err := reserve(p)
		if err != nil {
			ok = false // another process holds it
			break
		}
		reserved[p] = r
		got = append(got, p)
		if !free(p) {
			ok = false
			break
		}
	}
	if !ok {
		for _, p := range got {
			releaseLocked(p)
		}
	}
	return ok
}

// Release gives back the reservations of ports (those this process holds).
func Release(ports ...int) {
	mu.Lock()
	defer mu.Unlock()
	for _, p := range ports {
		releaseLocked(p)
	}
}

func releaseLocked(p int) {
	r, ok := reserved[p]
	if !ok {
		return
	}
	delete(reserved, p)
	if r != nil {
		_ = r.Close()
	}
}

// reserve binds the abstract Unix socket that marks port as taken, on
// Linux; elsewhere it reserves nothing.
func reserve(port int) (net.Listener, error) {
	if runtime.GOOS != "linux" {
		return nil, nil
	}
	l, err := net.Listen("unix", "@tally-port-"+strconv.Itoa(port))
	if err != nil {
		return nil, err
	}
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // abstract: there is no file
	}
	return l, nil
}

// free reports whether port can be bound on 127.0.0.1 now.
func free(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	return l.Close() == nil
}
