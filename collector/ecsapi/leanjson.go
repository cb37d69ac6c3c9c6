package ecsapi

// A minimal JSON reader for the lean decoders (lean.go): it walks a
// response body in place, hands out string values as byte slices of the
// body (unescaped into an arena only where they carry escapes), and skips
// every value the caller does not ask for, allocating nothing itself.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// jsonReader reads one JSON document from b.
type jsonReader struct {
	b []byte
	i int
}

var errJSONEnd = errors.New("unexpected end of JSON")

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek is the next non-space byte, 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

func (r *jsonReader) expect(c byte) error {
	if r.peek() != c {
		if r.i >= len(r.b) {
			return errJSONEnd
		}
		return fmt.Errorf("offset %d: expected %q, got %q", r.i, c, r.b[r.i])
	}
	r.i++
	return nil
}

// null consumes a null and reports whether there was one.
func (r *jsonReader) null() bool {
	if r.peek() == 'n' && len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// object calls member for each member of an object, with the key's
// bytes, unescaped. member must consume the value. A null object has no
// members.
func (r *jsonReader) object(member func(key []byte) error) error {
	if r.null() {
		return nil
	}
	if err := r.expect('{'); err != nil {
		return err
	}
	if r.peek() == '}' {
		r.i++
		return nil
	}
	for {
		key, escaped, err := r.rawString()
		if err != nil {
			return err
		}
		if escaped { // never in an AWS response, but a key all the same
			var a arena
			s, err := a.unescape(key)
			if err != nil {
				return err
			}
			key = []byte(s)
		}
		if err := r.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return nil
		default:
			return fmt.Errorf("offset %d: expected ',' or '}'", r.i)
		}
	}
}

// array calls elem for each element of an array; elem must consume it. A
// null array has no elements.
func (r *jsonReader) array(elem func() error) error {
	if r.null() {
		return nil
	}
	if err := r.expect('['); err != nil {
		return err
	}
	if r.peek() == ']' {
		r.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return nil
		default:
			return fmt.Errorf("offset %d: expected ',' or ']'", r.i)
		}
	}
}

// rawString reads a string and returns its bytes between the quotes, still
// escaped, and whether it has escapes.
func (r *jsonReader) rawString() ([]byte, bool, error) {
	if err := r.expect('"'); err != nil {
		return nil, false, err
	}
	start, escaped := r.i, false
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			return r.b[start : r.i-1], escaped, nil
		case c == '\\':
			escaped = true
			r.i += 2
		case c < 0x20:
			return nil, false, fmt.Errorf("offset %d: control character in string", r.i)
		default:
			r.i++
		}
	}
	return nil, false, errJSONEnd
}

// number reads a number's bytes.
func (r *jsonReader) number() ([]byte, error) {
	r.ws()
	start := r.i
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			r.i++
			continue
		}
		break
	}
	if r.i == start {
		if r.i >= len(r.b) {
			return nil, errJSONEnd
		}
		return nil, fmt.Errorf("offset %d: expected a number", r.i)
	}
	return r.b[start:r.i], nil
}

// int32 reads an integer that fits 32 bits.
func (r *jsonReader) int32() (int32, error) {
	b, err := r.number()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(unsafe.String(&b[0], len(b)), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("offset %d: invalid int32 %q", r.i, string(b))
	}
	return int32(n), nil
}

// float64 reads a number as a float64, as the SDK does: NaN and the
// infinities, which the SDK takes as strings, make an error here (and the
// answer goes to the SDK's decoder).
func (r *jsonReader) float64() (float64, error) {
	b, err := r.number()
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil {
		return 0, fmt.Errorf("offset %d: invalid number %q", r.i, string(b))
	}
	return f, nil
}

// boolean reads true or false.
func (r *jsonReader) boolean() (bool, error) {
	r.ws()
	switch {
	case len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "true":
		r.i += 4
		return true, nil
	case len(r.b)-r.i >= 5 && string(r.b[r.i:r.i+5]) == "false":
		r.i += 5
		return false, nil
	}
	return false, fmt.Errorf("offset %d: expected a boolean", r.i)
}

// epochSeconds reads a timestamp in the awsJson protocols' default format,
// seconds since the epoch with a fraction, to the millisecond as the SDK's
// smithy-go time.ParseEpochSeconds does: it multiplies by 1,000 at float64
// precision (a big.Float of 53 bits there, the same rounding) and
// truncates.
func (r *jsonReader) epochSeconds() (time.Time, error) {
	b, err := r.number()
	if err != nil {
		return time.Time{}, err
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return time.Time{}, fmt.Errorf("offset %d: invalid timestamp %q", r.i, string(b))
	}
	ms := f * 1e3
	if ms >= math.MaxInt64/1e6 || ms <= math.MinInt64/1e6 {
		return time.Time{}, fmt.Errorf("offset %d: timestamp %q out of range", r.i, string(b))
	}
	return time.Unix(0, int64(ms)*1e6).UTC(), nil
}

// skip skips one value of any kind.
func (r *jsonReader) skip() error {
	switch c := r.peek(); {
	case c == '{':
		return r.object(func([]byte) error { return r.skip() })
	case c == '[':
		return r.array(r.skip)
	case c == '"':
		_, _, err := r.rawString()
		return err
	case c == 't' || c == 'f':
		_, err := r.boolean()
		return err
	case c == 'n':
		if !r.null() {
			return fmt.Errorf("offset %d: invalid literal", r.i)
		}
		return nil
	case c == 0:
		return errJSONEnd
	default:
		_, err := r.number()
		return err
	}
}

// arena holds the decoded strings of one answer in blocks of arenaBlock
// bytes, so that many strings cost one allocation and a string kept beyond
// the cycle keeps one block alive, no more. A string longer than a block
// is allocated on its own.
type arena struct{ buf []byte }

// arenaBlock is the size of a block: a few tasks' strings.
const arenaBlock = 512

// room makes room for n bytes in the block, starting a new one if needed,
// and reports whether n fits a block at all.
func (a *arena) room(n int) bool {
	if n > arenaBlock {
		return false
	}
	if n > cap(a.buf)-len(a.buf) {
		a.buf = make([]byte, 0, arenaBlock)
	}
	return true
}

// add copies s into the arena and returns it as a string.
func (a *arena) add(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	if !a.room(len(s)) {
		return string(s)
	}
	off := len(a.buf)
	a.buf = append(a.buf, s...)
	return unsafe.String(&a.buf[off], len(s))
}

// string reads a string value into the arena, unescaped.
func (r *jsonReader) string(a *arena) (string, error) {
	raw, escaped, err := r.rawString()
	if err != nil || !escaped {
		return a.add(raw), err
	}
	return a.unescape(raw)
}

// unescape decodes JSON escapes into the arena.
func (a *arena) unescape(raw []byte) (string, error) {
	var tmp [utf8.UTFMax]byte
	// Unescaping valid UTF-8 only shortens: with room for raw, appending
	// never moves out elsewhere. A string longer than a block gets a
	// buffer of its own, as does invalid UTF-8 (never in an AWS answer),
	// which may lengthen.
	inBlock := utf8.Valid(raw) && a.room(len(raw))
	out := a.buf[len(a.buf):len(a.buf)]
	if !inBlock {
		out = make([]byte, 0, 3*len(raw))
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c >= utf8.RuneSelf {
			// Invalid UTF-8 becomes U+FFFD, as the SDK's unquoting does.
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, raw[i:i+size]...)
			}
			i += size - 1
			continue
		}
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", errors.New("truncated escape")
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r1, ok := hex4(raw[i+1:])
			if !ok {
				return "", errors.New("invalid \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r1) {
				// A pair, else the replacement character, as encoding/json.
				if r2, ok := hex4(raw[min(i+3, len(raw)):]); ok && i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
						i += 6
						r1 = dec
					} else {
						r1 = utf8.RuneError
					}
				} else {
					r1 = utf8.RuneError
				}
			}
			n := utf8.EncodeRune(tmp[:], r1)
			out = append(out, tmp[:n]...)
		default:
			return "", fmt.Errorf("invalid escape \\%c", raw[i])
		}
	}
	if !inBlock {
		return unsafe.String(unsafe.SliceData(out), len(out)), nil
	}
	a.buf = a.buf[:len(a.buf)+len(out)]
	if len(out) == 0 {
		return "", nil
	}
	return unsafe.String(&out[0], len(out)), nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(unsafe.String(&b[0], 4), 16, 32)
	return rune(n), err == nil
}
