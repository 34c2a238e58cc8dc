package keystore

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// StaticPassword returns a PasswordFunc that gives the same password for
// every key (for scripts, with a password read by PasswordFromEnvOrFile).
func StaticPassword(password string) PasswordFunc {
	return func(string, bool) (string, error) { return password, nil }
}

// PasswordFromEnvOrFile reads a password for non-interactive use: from the
// file if file is not empty (its first line; the file must not be empty),
// otherwise from the environment variable envVar if it is set and not
// empty. ok is false, with a nil error, when neither source is given, so
// that the caller can fall back to TerminalPassword.
func PasswordFromEnvOrFile(envVar, file string) (password string, ok bool, err error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", false, fmt.Errorf("read password file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return "", false, fmt.Errorf("password file %s: first line is empty, expected the password", file)
		}
		return line, true, nil
	}
	if envVar != "" {
		if v := os.Getenv(envVar); v != "" {
			return v, true, nil
		}
	}
	return "", false, nil
}

// TerminalPassword is a PasswordFunc that asks on the terminal: once to
// decrypt a key, twice (to catch typos) to encrypt a new one.
func TerminalPassword(name string, create bool) (string, error) {
	if create {
		return PromptPassword(fmt.Sprintf("Enter a password to encrypt key %q: ", name), true)
	}
	return PromptPassword(fmt.Sprintf("Password for key %q: ", name), false)
}

// PromptPassword writes prompt to standard error and reads a line from the
// terminal on standard input without echoing it. With confirm it asks a
// second time and fails if the two entries differ. It fails if standard
// input is not a terminal.
func PromptPassword(prompt string, confirm bool) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("cannot ask for a password: standard input is not a terminal (give it in an environment variable or a file instead)")
	}
	read := func(p string) (string, error) {
		fmt.Fprint(os.Stderr, p)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	pw, err := read(prompt)
	if err != nil {
		return "", err
	}
	if confirm {
		again, err := read("Repeat the password: ")
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", errors.New("the two passwords differ")
		}
	}
	return pw, nil
}
