export * from './iresnet.js';
export * from './mobilefacenet.js';
export * from './file-io.js';
