export * from './iresnet.js';
export * from './mobilefacenet.js';
export * from './file-io.js';
export * from './iresnet-torch.js';
