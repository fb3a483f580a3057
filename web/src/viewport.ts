// Where the image sits on the viewer's canvas: a zoom (screen pixels per image pixel) and the screen
// position of the image's top-left corner. Pure numbers, so fit, zoom about a point, pan and the
// screen <-> image mapping are tested in Node without a browser.

export interface Viewport {
  zoom: number;
  panX: number;
  panY: number;
}

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Zoom limits: a 4096 px film still fits a small stage, and a single pixel can be inspected. */
export const MIN_ZOOM = 0.05;
export const MAX_ZOOM = 32;

const clampZoom = (zoom: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));

/** The whole image in the stage, centred, as large as fits. */
export function fitViewport(image: Size, stage: Size): Viewport {
  const zoom = clampZoom(Math.min(stage.width / image.width, stage.height / image.height));
  return {
    zoom,
    panX: (stage.width - image.width * zoom) / 2,
    panY: (stage.height - image.height * zoom) / 2,
  };
}

/** Zoom by `factor` keeping the image point under the screen point `at` where it is. */
export function zoomAbout(view: Viewport, factor: number, at: Point): Viewport {
  const zoom = clampZoom(view.zoom * factor);
  return {
    zoom,
    panX: at.x - ((at.x - view.panX) * zoom) / view.zoom,
    panY: at.y - ((at.y - view.panY) * zoom) / view.zoom,
  };
}

/** The view moved by a drag of (dx, dy) screen pixels from where it was when the drag began. */
export function panFrom(start: Viewport, dx: number, dy: number): Viewport {
  return { zoom: start.zoom, panX: start.panX + dx, panY: start.panY + dy };
}

/** The image coordinates (pixels, fractional) under a screen point relative to the canvas. */
export function screenToImage(view: Viewport, screen: Point): Point {
  return { x: (screen.x - view.panX) / view.zoom, y: (screen.y - view.panY) / view.zoom };
}

/** The screen point (relative to the canvas) of image coordinates. */
export function imageToScreen(view: Viewport, image: Point): Point {
  return { x: view.panX + image.x * view.zoom, y: view.panY + image.y * view.zoom };
}
