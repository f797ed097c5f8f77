package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Append appends the wire encoding of v to buf.
func Append(buf []byte, v Value) []byte {
	switch v.Kind {
	case KindSimple:
		buf = append(buf, '+')
		buf = append(buf, v.Str...)
	case KindError:
		buf = append(buf, '-')
		buf = append(buf, v.Str...)
	case KindInt:
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, v.Int, 10)
	case KindBulk:
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(v.Str)), 10)
		buf = append(buf, '\r', '\n')
		buf = append(buf, v.Str...)
	case KindNull:
		buf = append(buf, "$-1"...)
	case KindNullArray:
		buf = append(buf, "*-1"...)
	case KindArray:
		buf = append(buf, '*')
		buf = strconv.AppendInt(buf, int64(len(v.Array)), 10)
		buf = append(buf, '\r', '\n')
		for _, e := range v.Array {
			buf = Append(buf, e)
		}
		return buf
	}
	return append(buf, '\r', '\n')
}

// Append3 appends the RESP3 encoding of v to buf: maps and pushes keep their type and
// both nulls are "_".
func Append3(buf []byte, v Value) []byte {
	switch v.Kind {
	case KindNull, KindNullArray:
		return append(buf, '_', '\r', '\n')
	case KindArray:
		n := len(v.Array)
		switch v.Agg {
		case '%':
			buf, n = append(buf, '%'), n/2
		case '>':
			buf = append(buf, '>')
		default:
			buf = append(buf, '*')
		}
		buf = strconv.AppendInt(buf, int64(n), 10)
		buf = append(buf, '\r', '\n')
		for _, e := range v.Array {
			buf = Append3(buf, e)
		}
		return buf
	}
	return Append(buf, v)
}

// AppendCommand appends a command as an array of bulk strings, the form clients send.
func AppendCommand(buf []byte, args ...string) []byte {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(len(args)), 10)
	buf = append(buf, '\r', '\n')
	for _, a := range args {
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(a)), 10)
		buf = append(buf, '\r', '\n')
		buf = append(buf, a...)
		buf = append(buf, '\r', '\n')
	}
	return buf
}

// CommandLen is len(AppendCommand(nil, args...)), without building the bytes: the
// replication offset grows by it for every propagated command.
func CommandLen(args ...string) int {
	n := 1 + digits(len(args)) + 2
	for _, a := range args {
		n += 1 + digits(len(a)) + 2 + len(a) + 2
	}
	return n
}

func digits(n int) int {
	d := 1
	for ; n >= 10; n /= 10 {
		d++
	}
	return d
}

// ErrProtocol is wrapped by every decoding error caused by malformed input (as opposed to
// an I/O error of the underlying reader).
var ErrProtocol = errors.New("protocol error")

// Limits that keep a malformed or hostile peer from making a reader allocate without bound;
// they are Redis's own defaults (proto-max-bulk-len 512 MB, 1M multibulk elements, 64 KB
// inline commands).
const (
	maxBulkLen      = 512 << 20
	maxArrayLen     = 1 << 20
	maxInlineLength = 64 << 10
)

// Reader decodes RESP2 values from a byte stream.
type Reader struct {
	r *bufio.Reader
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 16<<10)} }

// Buffered reports how many bytes are already buffered, so that a server can tell whether
// more pipelined commands wait behind the one it just read.
func (r *Reader) Buffered() int { return r.r.Buffered() }

// ReadValue reads one value (a reply, or a command in multibulk form), RESP2 or a RESP3
// map, push or null.
func (r *Reader) ReadValue() (Value, error) {
	line, err := r.line(maxInlineLength)
	if err != nil {
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, protocolError("empty line")
	}
	body := string(line[1:])
	switch line[0] {
	case '+':
		return Simple(body), nil
	case '-':
		return Err(body), nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return Value{}, protocolError("invalid integer %q", body)
		}
		return Int(n), nil
	case '$':
		n, err := r.length(body, maxBulkLen)
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return Null(), nil
		}
		s, err := r.bulkBody(n)
		if err != nil {
			return Value{}, err
		}
		return Bulk(s), nil
	case '_':
		if body != "" {
			return Value{}, protocolError("invalid null %q", body)
		}
		return Null(), nil
	case '*', '%', '>':
		n, err := r.length(body, maxArrayLen)
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return NullArray(), nil
		}
		agg := line[0]
		if agg == '%' {
			n *= 2
		} else if agg == '*' {
			agg = 0
		}
		vs := make([]Value, n)
		for i := range vs {
			if vs[i], err = r.ReadValue(); err != nil {
				return Value{}, err
			}
		}
		v := Array(vs...)
		v.Agg = agg
		return v, nil
	}
	return Value{}, protocolError("unexpected type byte %q", line[0])
}

// ReadCommand reads one client command, either a multibulk array of bulk strings or an
// inline command ("PING\r\n"), the two forms a Redis server accepts. Empty inline lines and
// empty multibulks (*0, *-1) are skipped, as Redis does, so a client that sends
// "PING\r\n\n" gets one reply. Malformed input is an ErrProtocol worded as Redis words it
// ("invalid multibulk length", "expected '$', got '+'", "invalid bulk length").
func (r *Reader) ReadCommand() ([]string, error) {
	for {
		b, err := r.r.Peek(1)
		if err != nil {
			return nil, err
		}
		if b[0] == '*' {
			args, err := r.multibulk()
			if err != nil || len(args) > 0 {
				return args, err
			}
			continue
		}
		line, err := r.line(maxInlineLength)
		if err != nil {
			return nil, err
		}
		args, err := SplitArgs(string(line))
		if err != nil {
			return nil, err
		}
		if len(args) > 0 {
			return args, nil
		}
	}
}

// multibulk reads "*N" and N bulk strings (C: processMultibulkBuffer).
func (r *Reader) multibulk() ([]string, error) {
	line, err := r.line(maxInlineLength)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(string(line[1:]))
	if err != nil || n > maxArrayLen {
		return nil, protocolError("invalid multibulk length")
	}
	args := make([]string, 0, min(max(n, 0), 1024))
	for range max(n, 0) {
		line, err := r.line(maxInlineLength)
		if err != nil {
			return nil, err
		}
		if len(line) == 0 || line[0] != '$' {
			got := byte('\r')
			if len(line) > 0 {
				got = line[0]
			}
			return nil, protocolError("expected '$', got '%c'", got)
		}
		size, err := strconv.Atoi(string(line[1:]))
		if err != nil || size < 0 || size > maxBulkLen {
			return nil, protocolError("invalid bulk length")
		}
		s, err := r.bulkBody(size)
		if err != nil {
			return nil, err
		}
		args = append(args, s)
	}
	return args, nil
}

// line reads up to "\n" and strips the line ending ("\r\n", or a bare "\n" as Redis's inline
// parser tolerates).
func (r *Reader) line(limit int) ([]byte, error) {
	var out []byte
	for {
		frag, err := r.r.ReadSlice('\n')
		out = append(out, frag...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			if err == io.EOF && len(out) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if len(out) > limit {
			return nil, protocolError("too big inline request")
		}
	}
	out = out[:len(out)-1]
	if n := len(out); n > 0 && out[n-1] == '\r' {
		out = out[:n-1]
	}
	return out, nil
}

func (r *Reader) length(s string, limit int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 {
		return 0, protocolError("invalid length %q", s)
	}
	if n > limit {
		return 0, protocolError("length %d over the limit %d", n, limit)
	}
	return n, nil
}

func (r *Reader) bulkBody(n int) (string, error) {
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r.r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return "", protocolError("bulk string not terminated by CRLF")
	}
	return string(buf[:n]), nil
}

// SplitArgs splits an inline command or a config line the way Redis's sdssplitargs does: spaces separate
// arguments; double quotes allow escapes (\n, \r, \t, \b, \a, \\, \", \xHH); single quotes
// allow only \'; a closing quote must be followed by a space or the end of the line.
func SplitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur strings.Builder
		inDouble, inSingle := false, false
		for ; ; i++ {
			if inDouble {
				if i >= len(line) {
					return nil, protocolError("unbalanced quotes in request")
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					v, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
					cur.WriteByte(byte(v))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					cur.WriteByte(unescape(line[i]))
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, protocolError("unbalanced quotes in request")
					}
					inDouble = false
				default:
					cur.WriteByte(c)
				}
				continue
			}
			if inSingle {
				if i >= len(line) {
					return nil, protocolError("unbalanced quotes in request")
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur.WriteByte('\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, protocolError("unbalanced quotes in request")
					}
					inSingle = false
				default:
					cur.WriteByte(c)
				}
				continue
			}
			if i >= len(line) || isSpace(line[i]) {
				break
			}
			switch line[i] {
			case '"':
				inDouble = true
			case '\'':
				inSingle = true
			default:
				cur.WriteByte(line[i])
			}
		}
		args = append(args, cur.String())
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}
