/**
 * A minimal protobuf wire-format reader: just enough to decode OTLP without pulling a protobuf
 * runtime into the package (the dev endpoint must stay dependency-free).
 */

/** Thrown for any input that is not a well-formed OTLP trace request. */
export class OtlpDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OtlpDecodeError';
  }
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

/** The raw tag value for a field, so decoders can `switch` on field number and wire type at once. */
export function tag(field: number, wire: number): number {
  return field * 8 + wire;
}

// Protobuf strings are UTF-8; a lenient decoder shows bad bytes as U+FFFD instead of rejecting
// a whole batch, which is what a debugging endpoint wants.
const utf8 = new TextDecoder('utf-8');

export class ProtobufReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Reads a field tag; returns `field * 8 + wireType` (see {@link tag}). */
  tag(): number {
    const [lo, hi] = this.varintParts();
    const field = hi * 2 ** 29 + (lo >>> 3);
    if (field === 0 || field >= 2 ** 29) throw this.fail(`invalid field number ${field}`);
    return field * 8 + (lo & 7);
  }

  /** Unsigned 64-bit varint. */
  uint64(): bigint {
    const [lo, hi] = this.varintParts();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Signed int64 (two's complement, so negatives arrive as 10-byte varints). */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  /** int32/enum: protobuf sign-extends negatives to 64 bits, so the low 32 bits carry the value. */
  int32(): number {
    return this.varintParts()[0] | 0;
  }

  uint32(): number {
    return this.varintParts()[0];
  }

  bool(): boolean {
    const [lo, hi] = this.varintParts();
    return lo !== 0 || hi !== 0;
  }

  fixed64(): bigint {
    const at = this.advance(8);
    return this.view.getBigUint64(at, true);
  }

  fixed32(): number {
    const at = this.advance(4);
    return this.view.getUint32(at, true);
  }

  double(): number {
    const at = this.advance(8);
    return this.view.getFloat64(at, true);
  }

  /** Length-delimited payload; a view into the input, not a copy. */
  bytes(): Uint8Array {
    const [length, high] = this.varintParts();
    if (high !== 0) throw this.fail(`length of 4 GiB or more at offset ${this.pos}`);
    const at = this.advance(length);
    return this.buf.subarray(at, at + length);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** Skips the value of a field whose tag was just read, whatever its wire type. */
  skip(rawTag: number): void {
    const wire = rawTag & 7;
    switch (wire) {
      case WIRE_VARINT:
        this.varintParts();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.bytes();
        return;
      case WIRE_I32:
        this.advance(4);
        return;
      case WIRE_SGROUP: {
        // Groups are deprecated but legal in unknown fields. Track nesting with a stack rather
        // than recursion, so hostile input cannot overflow the call stack.
        const open = [Math.floor(rawTag / 8)];
        while (open.length > 0) {
          if (this.done) throw this.fail(`unterminated group ${open[open.length - 1]}`);
          const inner = this.tag();
          const field = Math.floor(inner / 8);
          if ((inner & 7) === WIRE_SGROUP) open.push(field);
          else if ((inner & 7) !== WIRE_EGROUP) this.skip(inner);
          else if (open.pop() !== field) throw this.fail(`mismatched end of group ${field}`);
        }
        return;
      }
      default:
        throw this.fail(`unexpected wire type ${wire}`);
    }
  }

  /** Moves past `n` bytes and returns where they start, refusing to run off the end. */
  private advance(n: number): number {
    const at = this.pos;
    if (n > this.buf.length - at) {
      throw this.fail(`truncated: needs ${n} bytes at offset ${at}, ${this.buf.length - at} left`);
    }
    this.pos = at + n;
    return at;
  }

  /**
   * Reads a varint of up to 10 bytes as two unsigned 32-bit halves, so the common small values
   * never touch BigInt.
   */
  private varintParts(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw this.fail(`truncated varint at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      const shift = i * 7;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= bits << 28; // only the low 4 bits survive in `lo`
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw this.fail(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  private fail(message: string): OtlpDecodeError {
    return new OtlpDecodeError(`Malformed protobuf: ${message}`);
  }
}
