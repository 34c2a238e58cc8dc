// Package testutil holds what the tests of several packages share and
// nothing else imports: building the tally and tallyd executables once for
// a test binary, and a buffer that a running process writes while a test
// reads it.
//
// A package whose tests run the real binaries builds them in TestMain:
//
//	func TestMain(m *testing.M) {
//		bins, err := testutil.Build(testutil.Tallyd, testutil.Tally)
//		if err != nil { fmt.Fprintln(os.Stderr, err); os.Exit(1) }
//		code := m.Run()
//		bins.Remove()
//		os.Exit(code)
//	}
//
// and a test collects a process's output with a SyncBuffer:
//
//	out := &testutil.SyncBuffer{}
//	cmd.Stdout = out
//	... out.String() ...
package testutil
