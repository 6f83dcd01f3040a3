import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { App } from './app';
import { installLinkHandler } from './router';
import { applyTheme, followSystemTheme } from './theme';

applyTheme();
followSystemTheme();
installLinkHandler();
render(<App />, document.getElementById('app')!);
