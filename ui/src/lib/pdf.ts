// pdf.js over ranges: the document's length is known (the object's size), so pdf.js is given a
// transport that asks for exactly the byte ranges it needs, each a `Range` request to the app.

export interface PdfPage {
  number: number;
  draw(canvas: HTMLCanvasElement): Promise<void>;
}

export interface PdfDoc {
  count: number;
  pages: PdfPage[];
  close(): void;
}

/** The first `first` pages of the PDF at `url` (`size` bytes), scaled to `width` CSS pixels. */
export async function readPdf(
  url: string,
  size: number,
  first: number,
  width: number,
): Promise<PdfDoc> {
  // Loaded only when a PDF is previewed: pdf.js is larger than the rest of the app.
  const pdfjs = await import("pdfjs-dist");
  const worker = await import("pdfjs-dist/build/pdf.worker.min.mjs?url");
  pdfjs.GlobalWorkerOptions.workerSrc = worker.default;

  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  // A range that fails after the document loaded fails the drawing that waits for it.
  failed.catch(() => {});
  const transport = new pdfjs.PDFDataRangeTransport(size, null);
  transport.requestDataRange = (begin: number, end: number) => {
    readRange(url, begin, end).then((bytes) => transport.onDataRange(begin, bytes), fail);
  };
  const task = pdfjs.getDocument({
    range: transport,
    length: size,
    rangeChunkSize: 256 * 1024,
    disableAutoFetch: true,
    isEvalSupported: false,
  });
  const doc = await Promise.race([task.promise, failed]);
  const pages: PdfPage[] = [];
  for (let n = 1; n <= Math.min(first, doc.numPages); n++) {
    const page = await doc.getPage(n);
    pages.push({
      number: n,
      async draw(canvas) {
        const plain = page.getViewport({ scale: 1 });
        const ratio = window.devicePixelRatio || 1;
        const viewport = page.getViewport({ scale: (Math.min(width, 900) / plain.width) * ratio });
        canvas.width = viewport.width;
        canvas.height = viewport.height;
        canvas.style.width = `${viewport.width / ratio}px`;
        const context = canvas.getContext("2d");
        if (context)
          await Promise.race([page.render({ canvasContext: context, viewport }).promise, failed]);
      },
    });
  }
  return { count: doc.numPages, pages, close: () => void doc.destroy() };
}

/** Bytes `begin..end` (end exclusive); the app answers at most a few MiB at a time. */
async function readRange(url: string, begin: number, end: number): Promise<Uint8Array> {
  const out = new Uint8Array(end - begin);
  let at = begin;
  while (at < end) {
    const r = await fetch(url, { headers: { Range: `bytes=${at}-${end - 1}` } });
    if (!r.ok) throw new Error(await r.text());
    const part = new Uint8Array(await r.arrayBuffer());
    if (part.length === 0) throw new Error("the app answered no bytes");
    out.set(part.subarray(0, end - at), at - begin);
    at += part.length;
  }
  return out;
}
