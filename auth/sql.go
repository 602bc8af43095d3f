package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Password types of [auth.sql] password-type.
const (
	SQLPasswordPlain = "plain" // the column holds the password itself
	SQLPasswordHash  = "hash"  // a hash as the users file holds them
	SQLPasswordCrypt = "crypt" // a crypt(3) hash as the system's (verifyCrypt)
)

// SQLOptions are the settings of OpenSQL.
type SQLOptions struct {
	// Interface is SQLPostgres or SQLMySQL (MariaDB too).
	Interface string
	// DSN is the driver's data source name (a postgres:// URL or
	// key=value string for PostgreSQL, go-sql-driver's user:pass@tcp(host)/db
	// for MySQL). When set, Host, Port, User, Password and Database are not
	// used.
	DSN string
	// Host is the server's host name, or the absolute path of its unix
	// socket (MySQL) or socket directory (PostgreSQL). "" means the
	// driver's default.
	Host string
	// Port is the server's TCP port; 0 means the interface's default.
	Port int
	// User and Password log in to the database.
	User, Password string
	// Database is the database name.
	Database string
	// GetPwnam is the query that returns the user's row, with $user (or
	// imap4d's '${user}') where the user name goes: it is bound as a
	// parameter. Its columns are matched by name: name, passwd (or
	// password), uid, gid, gecos, dir (or home), shell and mailgate's
	// quota (as the users file's eighth field, "storage=5G,messages=N"),
	// all optional.
	GetPwnam string
	// GetPass, when set, is the query whose first column is the stored
	// password; otherwise the passwd column of GetPwnam is.
	GetPass string
	// PasswordType is SQLPasswordPlain, SQLPasswordHash or
	// SQLPasswordCrypt.
	PasswordType string
	// MaxOpenConns and MaxIdleConns bound the connection pool (0: 4 and 2).
	MaxOpenConns, MaxIdleConns int
	// ConnMaxLifetime closes pooled connections older than this (0: 30m).
	ConnMaxLifetime time.Duration
	// Timeout bounds each login's queries, connecting included (0: 5s).
	Timeout time.Duration
	// DataDir is where homes the database leaves empty are, and where
	// the decoy is kept (SQLDecoyFile); "" keeps it in the process.
	DataDir string
	// Logger receives the warnings of the decoy's file; nil means
	// slog.Default().
	Logger *slog.Logger
	// CacheTTL is how long a successful check is remembered; a changed
	// stored password is noticed at once, since the query runs each time.
	CacheTTL time.Duration
}

// SQL checks passwords against a PostgreSQL or MySQL/MariaDB database
// through database/sql, as imap4d's sql back-end does, but with the user
// name always bound as a query parameter. A query that finds no row means
// an unknown user; a query that fails or times out, ErrUnavailable; more
// than one row, ErrUnavailable too (the query is ambiguous). A NULL or
// locked stored password never logs in.
//
// With password-type hash or crypt, an unknown user, or one whose stored
// password is NULL or locked, costs the verification of a decoy all the
// same, and a wrong password against a much cheaper hash costs it too (see
// hashcost.go): the costliest hash verified so far, within maxDecoyWork,
// as this or an earlier process learned it (learnedDecoy, in
// SQLDecoyFile), or a bcrypt hash at NewPasswordCost before any.
type SQL struct {
	db      *sql.DB
	iface   string
	pwnam   string
	pwnamN  int
	pass    string
	passN   int
	pwType  string
	timeout time.Duration
	dataDir string
	now     func() time.Time
	cache   *loginCache
	decoy   *learnedDecoy // nil with password-type plain
	// verifying, when set (by tests), is called with each stored
	// password Authenticate verifies.
	verifying func(stored string)
}

// OpenSQL checks opts and opens the connection pool. It does not connect:
// a database that is down at start makes logins unavailable until it is
// up.
func OpenSQL(opts *SQLOptions) (*SQL, error) {
	scopeOpts := *opts
	scopeOpts.Logger = nil // a pointer: it would make every scope differ (cacheScope)
	s := &SQL{iface: opts.Interface, pwType: opts.PasswordType, timeout: opts.Timeout, dataDir: opts.DataDir,
		now: time.Now, cache: newLoginCache(opts.CacheTTL, cacheScope("sql", scopeOpts))}
	if s.timeout <= 0 {
		s.timeout = 5 * time.Second
	}
	switch s.pwType {
	case SQLPasswordPlain, SQLPasswordHash, SQLPasswordCrypt:
	default:
		return nil, fmt.Errorf("sql: password-type %q: want plain, hash or crypt", s.pwType)
	}
	if s.pwType != SQLPasswordPlain {
		accepts := func(v string) bool { return cryptWork(v) > 0 && buildVerifies(v) }
		if s.pwType == SQLPasswordHash {
			accepts = func(v string) bool { _, err := parsePasswordHash(v); return err == nil }
		}
		path := ""
		if opts.DataDir != "" {
			path = filepath.Join(opts.DataDir, SQLDecoyFile)
		}
		s.decoy = newLearnedDecoy(path, cryptWork, accepts, func(crypt string) string { return crypt }, opts.Logger)
	}
	var err error
	if s.pwnam, s.pwnamN, err = bindUser(opts.GetPwnam, s.iface); err != nil {
		return nil, fmt.Errorf("sql: getpwnam: %w", err)
	}
	if opts.GetPass != "" {
		if s.pass, s.passN, err = bindUser(opts.GetPass, s.iface); err != nil {
			return nil, fmt.Errorf("sql: getpass: %w", err)
		}
	}
	driver, dsn, err := sqlDSN(opts, s.timeout)
	if err != nil {
		return nil, err
	}
	if s.db, err = sql.Open(driver, dsn); err != nil {
		return nil, fmt.Errorf("sql: %w", err)
	}
	maxOpen, maxIdle, life := opts.MaxOpenConns, opts.MaxIdleConns, opts.ConnMaxLifetime
	if maxOpen <= 0 {
		maxOpen = 4
	}
	if maxIdle <= 0 {
		maxIdle = 2
	}
	if life <= 0 {
		life = 30 * time.Minute
	}
	s.db.SetMaxOpenConns(maxOpen)
	s.db.SetMaxIdleConns(min(maxIdle, maxOpen))
	s.db.SetConnMaxLifetime(life)
	return s, nil
}

// sqlDSN returns the driver name and data source name for opts.
func sqlDSN(opts *SQLOptions, timeout time.Duration) (driver, dsn string, err error) {
	switch opts.Interface {
	case SQLPostgres:
		if opts.DSN != "" {
			return "pgx", opts.DSN, nil
		}
		u := &url.URL{Scheme: "postgres", Path: "/" + opts.Database}
		if opts.User != "" {
			u.User = url.UserPassword(opts.User, opts.Password)
		}
		q := url.Values{}
		q.Set("connect_timeout", strconv.Itoa(max(1, int(timeout.Seconds()))))
		port := ""
		if opts.Port > 0 {
			port = strconv.Itoa(opts.Port)
		}
		if strings.HasPrefix(opts.Host, "/") {
			q.Set("host", opts.Host)
			if port != "" {
				q.Set("port", port)
			}
		} else if opts.Host != "" {
			u.Host = opts.Host
			if port != "" {
				u.Host = net.JoinHostPort(opts.Host, port)
			}
		}
		u.RawQuery = q.Encode()
		return "pgx", u.String(), nil
	case SQLMySQL:
		if opts.DSN != "" {
			return "mysql", opts.DSN, nil
		}
		c := mysql.NewConfig()
		c.User, c.Passwd, c.DBName = opts.User, opts.Password, opts.Database
		c.Timeout, c.ReadTimeout, c.WriteTimeout = timeout, timeout, timeout
		switch {
		case strings.HasPrefix(opts.Host, "/"):
			c.Net, c.Addr = "unix", opts.Host
		default:
			host, port := opts.Host, opts.Port
			if host == "" {
				host = "127.0.0.1"
			}
			if port == 0 {
				port = 3306
			}
			c.Net, c.Addr = "tcp", net.JoinHostPort(host, strconv.Itoa(port))
		}
		return "mysql", c.FormatDSN(), nil
	}
	return "", "", fmt.Errorf("sql: interface %q: want %q or %q", opts.Interface, SQLPostgres, SQLMySQL)
}

// loginCacheSlot implements cacheHolder.
func (s *SQL) loginCacheSlot() **loginCache { return &s.cache }

// Close closes the connection pool.
func (s *SQL) Close() error { return s.db.Close() }

// Authenticate implements Authenticator.
func (s *SQL) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if len(password) > maxPasswordLen || password == "" {
		return nil, ErrBadCredentials
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	row, u, err := s.getpwnam(ctx, name)
	if err != nil {
		if errors.Is(err, ErrNoUser) {
			if err := s.verifyDecoy(ctx, password); err != nil {
				return nil, err
			}
		}
		return nil, err
	}
	stored, ok := row.get("passwd")
	if s.pass != "" {
		prow, err := s.queryRow(ctx, s.pass, s.passN, name)
		if err != nil {
			return nil, unavailable("sql getpass", err)
		}
		stored, ok = sql.NullString{}, prow != nil && len(prow.vals) > 0
		if ok {
			stored = prow.vals[0]
		}
	}
	if !ok || !stored.Valid || isLocked(stored.String) {
		if err := s.verifyDecoy(ctx, password); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	match, err := s.cache.check(ctx, name, stored.String, password, s.now(), func() (bool, error) {
		return s.verify(ctx, stored.String, password)
	})
	if err != nil {
		return nil, unavailable("sql", fmt.Errorf("user %q: stored password: %w", name, err))
	}
	if !match {
		if s.pwType != SQLPasswordPlain && needsDecoy(cryptWork(stored.String), cryptWork(s.decoy.hash())) {
			if err := s.verifyDecoy(ctx, password); err != nil {
				return nil, err
			}
		}
		return nil, ErrBadCredentials
	}
	return u, nil
}

// Identify implements Identifier: the user of the getpwnam query's row,
// for a user whose identity was proven without a password (preauth, a
// client certificate) or who only receives mail (LMTP). The getpass query
// does not run; a locked password ("*" or "!...") in the getpwnam row
// refuses the user as it does in the users file.
func (s *SQL) Identify(ctx context.Context, name string) (*User, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	row, u, err := s.getpwnam(ctx, name)
	if err != nil {
		return nil, err
	}
	if pw, ok := row.get("passwd"); ok && (pw.String == "*" || strings.HasPrefix(pw.String, "!")) {
		return nil, fmt.Errorf("%w: user %q may not log in", ErrBadCredentials, name)
	}
	return u, nil
}

// getpwnam runs the getpwnam query for name: its row and the user it
// makes, ErrNoUser when there is none, ErrUnavailable when the query
// fails or its row is unusable.
func (s *SQL) getpwnam(ctx context.Context, name string) (*sqlRow, *User, error) {
	row, err := s.queryRow(ctx, s.pwnam, s.pwnamN, name)
	if err != nil {
		return nil, nil, unavailable("sql getpwnam", err)
	}
	if row == nil {
		return nil, nil, ErrNoUser
	}
	u, err := s.user(name, row)
	if err != nil {
		return nil, nil, unavailable("sql getpwnam", err)
	}
	return row, u, nil
}

// verify checks password against the stored one by the password type.
// A hash verified without error is shown to the decoy.
func (s *SQL) verify(ctx context.Context, stored, password string) (bool, error) {
	ok, err := s.check(ctx, stored, password)
	if err == nil && s.decoy != nil {
		s.decoy.saw(ctx, stored)
	}
	return ok, err
}

// check is verify without showing the hash to the decoy.
func (s *SQL) check(ctx context.Context, stored, password string) (bool, error) {
	if s.verifying != nil {
		s.verifying(stored)
	}
	switch s.pwType {
	case SQLPasswordPlain:
		a, b := sha256.Sum256([]byte(stored)), sha256.Sum256([]byte(password))
		return subtle.ConstantTimeCompare(a[:], b[:]) == 1, nil
	case SQLPasswordHash:
		h, err := parsePasswordHash(stored)
		if err != nil {
			return false, err
		}
		return h.verify(ctx, password)
	}
	return verifyCrypt(ctx, stored, password)
}

// verifyDecoy verifies password against the decoy, for a login that has
// no hash of its own to verify. With password-type plain no login
// verifies a hash, and none does. The error is that of a verification
// that never ran for want of a place (decoyErr).
func (s *SQL) verifyDecoy(ctx context.Context, password string) error {
	if s.pwType == SQLPasswordPlain {
		return nil
	}
	if err := decoyErr(s.check(ctx, s.decoy.hash(), password)); err != nil {
		return fmt.Errorf("sql: %w", err)
	}
	return nil
}

// sqlRow is the one row a query returned.
type sqlRow struct {
	cols []string // imap4d's field names (sqlColumn)
	vals []sql.NullString
}

// get returns the value of the first column named col.
func (r *sqlRow) get(col string) (sql.NullString, bool) {
	for i, c := range r.cols {
		if c == col {
			return r.vals[i], true
		}
	}
	return sql.NullString{}, false
}

// queryRow runs query with the user name bound n times and returns its
// only row, or nil when there is none.
func (s *SQL) queryRow(ctx context.Context, query string, n int, name string) (*sqlRow, error) {
	args := make([]any, n)
	for i := range args {
		args[i] = name
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	r := &sqlRow{cols: make([]string, len(cols)), vals: make([]sql.NullString, len(cols))}
	ptrs := make([]any, len(cols))
	for i, c := range cols {
		r.cols[i] = sqlColumn(c)
		ptrs[i] = &r.vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	if rows.Next() {
		return nil, errors.New("the query returned more than one row")
	}
	return r, rows.Err()
}

// sqlColumn maps a column name to imap4d's field names.
func sqlColumn(c string) string {
	switch c = strings.ToLower(c); c {
	case "password":
		return "passwd"
	case "home":
		return "dir"
	}
	return c
}

// user makes the user of a getpwnam row; login is the name logged in with.
func (s *SQL) user(login string, row *sqlRow) (*User, error) {
	col := func(c string) string { v, _ := row.get(c); return v.String }
	u := &User{Name: login, UID: -1, GID: -1, Gecos: col("gecos"), Home: col("dir"), Shell: col("shell")}
	if n := col("name"); n != "" {
		// The database's spelling: a case-insensitive collation matches
		// "Alice" to "alice", and the mail directory must be one.
		if err := CheckUserName(n); err != nil {
			return nil, fmt.Errorf("name column: %w", err)
		}
		u.Name = n
	}
	var err error
	if u.UID, err = parseID(col("uid")); err != nil {
		return nil, fmt.Errorf("user %q: uid: %w", u.Name, err)
	}
	if u.GID, err = parseID(col("gid")); err != nil {
		return nil, fmt.Errorf("user %q: gid: %w", u.Name, err)
	}
	if u.Quota, err = ParseQuota(col("quota")); err != nil {
		return nil, fmt.Errorf("user %q: quota column: %w", u.Name, err)
	}
	return u, setHome(u, s.dataDir)
}
