import type { Plugin } from 'vite';

export interface Compressed {
  path: string;
  raw: number;
  compressed: number;
}

export function compressDir(dir: string): Compressed[];
export function compressPlugin(): Plugin;
