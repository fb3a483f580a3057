export * from './math.js';
export * from './reduce.js';
export * from './shape.js';
export * from './creation.js';
export * from './functional.js';
