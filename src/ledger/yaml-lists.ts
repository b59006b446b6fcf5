/** Appending to the lists of the ledger's YAML files, comments and order kept. */
import { isMap, isSeq, parseDocument, YAMLSeq, type Document } from "yaml";
import { LedgerError } from "./errors";

/** The document of a file that is a YAML map; `shape` names what it holds, for the refusal. */
export function mapDocument(text: string, display: string, shape: string): Document {
  const document = parseDocument(text);
  if (!isMap(document.contents)) {
    throw new LedgerError(`${display} is not a map with ${shape}`);
  }
  return document;
}

/** The list under `key` of a map document, written as a block list; added when absent. */
export function blockList(document: Document, key: string): YAMLSeq {
  let list = document.get(key, true);
  if (!isSeq(list)) {
    list = new YAMLSeq();
    document.set(key, list);
  }
  const seq = list as YAMLSeq;
  seq.flow = false;
  return seq;
}
