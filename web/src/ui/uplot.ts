/**
 * uPlot (MIT) and its stylesheet, in a chunk of their own: `Chart` imports this module only when
 * it draws, so pages without charts load none of it.
 */
import 'uplot/dist/uPlot.min.css';

export { default } from 'uplot';
