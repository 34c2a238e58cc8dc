package freeport

import (
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func pair(base int) []int { return []int{base, base + 3} }

func TestFindReservesAndSkips(t *testing.T) {
	a, err := Find(100, pair)
	if err != nil {
		t.Fatal(err)
	}
	defer Release(pair(a)...)
	if a < Lo || a >= Hi || (a-Lo)%100 != 0 {
		t.Fatalf("Find = %d, not a block start in [%d, %d)", a, Lo, Hi)
	}
	for _, p := range pair(a) {
		if !free(p) {
			t.Fatalf("port %d of the block found is not free", p)
		}
	}
	// This process holds the block: a second search passes over it.
	b, err := Find(100, pair)
	if err != nil {
		t.Fatal(err)
	}
	defer Release(pair(b)...)
	if b == a {
		t.Fatalf("Find gave block %d twice", a)
	}
}

func TestBlockWithAPortInUseIsSkipped(t *testing.T) {
	a, err := Find(100, pair)
	if err != nil {
		t.Fatal(err)
	}
	Release(pair(a)...)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(a+3))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if tryBlock(pair(a)) {
		Release(pair(a)...)
		t.Fatalf("block %d taken although its port %d is in use", a, a+3)
	}
	// The refused block keeps no reservation of its free port.
	if !tryBlock([]int{a}) {
		t.Fatalf("port %d stayed reserved after its block was refused", a)
	}
	Release(a)
}

func TestReleaseMakesThePortAvailableAgain(t *testing.T) {
	a, err := Find(1, func(base int) []int { return []int{base} })
	if err != nil {
		t.Fatal(err)
	}
	Release(a)
	if !tryBlock([]int{a}) {
		t.Fatalf("port %d not available after Release", a)
	}
	Release(a)
}

func TestOtherProcessesSkipReservedPorts(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reservations are on Linux only")
	}
	if os.Getenv("FREEPORT_CHILD_PORT") != "" {
		p, _ := strconv.Atoi(os.Getenv("FREEPORT_CHILD_PORT"))
		if tryBlock([]int{p}) {
			os.Stdout.WriteString("got it\n")
		} else {
			os.Stdout.WriteString("reserved elsewhere\n")
		}
		return
	}
	a, err := Find(1, func(base int) []int { return []int{base} })
	if err != nil {
		t.Fatal(err)
	}
	defer Release(a)
	cmd := exec.Command(os.Args[0], "-test.run=^TestOtherProcessesSkipReservedPorts$")
	cmd.Env = append(os.Environ(), "FREEPORT_CHILD_PORT="+strconv.Itoa(a))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "reserved elsewhere") {
		t.Fatalf("another process could take port %d reserved here:\n%s", a, out)
	}
}
