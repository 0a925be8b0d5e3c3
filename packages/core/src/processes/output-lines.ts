import { StringDecoder } from 'node:string_decoder';

/**
 * Cuts a byte stream into lines as chunks arrive: a character split across two chunks is
 * decoded whole, a line split across two chunks is delivered once complete, and blank lines
 * are skipped. `end` delivers a last line that had no line break.
 */
export class OutputLines {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  /** Decodes `chunk`, delivers the lines it completes and returns its text. */
  write(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    this.pending += text;
    let start = 0;
    let newline = this.pending.indexOf('\n', start);
    while (newline !== -1) {
      this.deliver(this.pending.slice(start, newline));
      start = newline + 1;
      newline = this.pending.indexOf('\n', start);
    }
    this.pending = this.pending.slice(start);
    return text;
  }

  /** Delivers what is left; returns the text of bytes that were waiting for the rest of a character. */
  end(): string {
    const text = this.decoder.end();
    const last = this.pending + text;
    this.pending = '';
    this.deliver(last);
    return text;
  }

  private deliver(line: string): void {
    if (line.trim() !== '') this.onLine(line);
  }
}
