package enginetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// pgBin is where Debian's postgresql package puts the server programs.
const pgBin = "/usr/lib/postgresql/15/bin"

// Postgres starts a throwaway PostgreSQL cluster listening on a Unix
// socket in a temporary folder, with trust authentication for user clv.
// Run as root, the server runs as the postgres system user (initdb
// refuses root).
func Postgres(t testing.TB) *Engine {
	t.Helper()
	bin, err := findPgBin()
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	dir := tempDir(t, "clvpg")
	port, err := freePort()
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	run := func(args ...string) *exec.Cmd { return exec.Command(args[0], args[1:]...) }
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, "PostgreSQL", fmt.Errorf("running as root and no postgres user to run the server as: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			unavailable(t, "PostgreSQL", err)
		}
		run = func(args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := run(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "clv", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		unavailable(t, "PostgreSQL", fmt.Errorf("initdb: %v: %s", err, out))
	}
	srv := run(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-c", "listen_addresses=", "-p", strconv.Itoa(port), "-F")
	if err := srv.Start(); err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { stopProcess(srv) })
	dsn := fmt.Sprintf("host=%s port=%d user=clv dbname=postgres sslmode=disable", dir, port)
	var conn *pgx.Conn
	for i := 0; ; i++ {
		if conn, err = pgx.Connect(ctx(t), dsn); err == nil {
			break
		}
		if i == 300 {
			unavailable(t, "PostgreSQL", fmt.Errorf("the server did not answer: %w", err))
		}
		sleep100ms()
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	loader := func(dateType string) func(t testing.TB, name string, rows []Row) {
		return func(t testing.TB, name string, rows []Row) {
			t.Helper()
			if _, err := conn.Exec(ctx(t), "CREATE TABLE "+name+" (customer_id text, date "+dateType+", amount double precision)"); err != nil {
				t.Fatal(err)
			}
			err := insertValues(rows, 2000, func(values string) error {
				_, err := conn.Exec(ctx(t), "INSERT INTO "+name+" VALUES "+values)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return &Engine{DSN: dsn, Load: loader("date"), LoadTextDates: loader("text")}
}

func findPgBin() (string, error) {
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err == nil {
		return pgBin, nil
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", fmt.Errorf("initdb not found in %s nor on PATH (apt-get install postgresql)", pgBin)
	}
	return filepath.Dir(p), nil
}
