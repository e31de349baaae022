/*!
 * Special:MassMessageStatus/ID: keeps the numbers current while the send runs.
 *
 * Polls list=massmessagestatus through mw.Api once a second and writes the answer into the
 * page's elements (#mm-status-state, #mm-count-queued, #mm-count-delivered, …) as text, never
 * as HTML. Stops once the send is done or cancelled (and then drops the cancel button). Without
 * JavaScript the page shows the same numbers on every reload.
 */
( function ( $, mw ) {
	'use strict';

	var POLL_MS = 1000;
	var TERMINAL = [ 'done', 'cancelled' ];

	function setText( id, value ) {
		var element = document.getElementById( id );
		if ( element ) {
			element.textContent = String( value );
		}
	}

	function sum( counts ) {
		return Object.keys( counts || {} ).reduce( function ( total, key ) {
			return total + counts[ key ];
		}, 0 );
	}

	function readLabels() {
		var element = document.getElementById( 'mm-reason-labels' );
		try {
			return element ? JSON.parse( element.textContent ) : {};
		} catch ( e ) {
			return {};
		}
	}

	/** Rebuild a reason breakdown list from { code: count } (sorted by code, as the server does). */
	function setReasons( id, counts, labels ) {
		var list = document.getElementById( id );
		if ( !list ) {
			return;
		}
		while ( list.firstChild ) {
			list.removeChild( list.firstChild );
		}
		Object.keys( counts || {} ).sort().forEach( function ( code ) {
			var item = document.createElement( 'li' );
			var label = document.createElement( 'span' );
			var count = document.createElement( 'span' );
			item.setAttribute( 'data-reason', code );
			label.className = 'mm-reason';
			label.textContent = labels[ code ] || code || 'error';
			count.className = 'mm-reason-count';
			count.textContent = String( counts[ code ] );
			item.appendChild( label );
			item.appendChild( document.createTextNode( ': ' ) );
			item.appendChild( count );
			list.appendChild( item );
		} );
	}

	function formatTime( iso ) {
		var d = new Date( iso );
		var months = [ 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
			'September', 'October', 'November', 'December' ];
		function pad( n ) {
			return ( n < 10 ? '0' : '' ) + n;
		}
		if ( isNaN( d.getTime() ) ) {
			return '';
		}
		return pad( d.getUTCHours() ) + ':' + pad( d.getUTCMinutes() ) + ', ' + d.getUTCDate() + ' ' +
			months[ d.getUTCMonth() ] + ' ' + d.getUTCFullYear();
	}

	function show( send, labels ) {
		var done = send.total - send.queued;
		var progress = document.getElementById( 'mm-progress' );
		var state = document.getElementById( 'mm-status-state' );
		setText( 'mm-status-state', send.status );
		if ( state ) {
			state.className = 'mm-state-' + send.status;
		}
		setText( 'mm-count-queued', send.queued );
		setText( 'mm-count-delivered', send.delivered );
		setText( 'mm-count-skipped', sum( send.skipped ) );
		setText( 'mm-count-failed', sum( send.failed ) );
		setText( 'mm-count-cancelled', send.cancelled || 0 );
		setText( 'mm-count-done', done );
		setText( 'mm-count-total', send.total );
		setReasons( 'mm-skipped-reasons', send.skipped, labels );
		setReasons( 'mm-failed-reasons', send.failed, {} );
		if ( send.finished ) {
			setText( 'mm-status-finished', formatTime( send.finished ) );
		}
		if ( progress ) {
			progress.max = send.total || 1;
			progress.value = send.total ? done : 1;
			progress.textContent = done + ' / ' + send.total;
		}
		$( '#mm-status' ).attr( 'data-mm-state', send.status );
	}

	$( function () {
		var $root = $( '#mm-status' );
		var sendId = $root.attr( 'data-mm-send' );
		var labels = readLabels();
		var api = new mw.Api();
		if ( !sendId || TERMINAL.indexOf( $root.attr( 'data-mm-state' ) ) !== -1 ) {
			return;
		}
		function poll() {
			api.get( {
				action: 'query',
				list: 'massmessagestatus',
				mmsids: sendId,
				formatversion: 2
			} ).then( function ( data ) {
				var sends = data.query && data.query.massmessagestatus;
				var send = sends && sends[ 0 ];
				if ( !send || send.missing ) {
					return;
				}
				show( send, labels );
				if ( TERMINAL.indexOf( send.status ) !== -1 ) {
					$( '#mm-cancel-form' ).remove();
					return;
				}
				setTimeout( poll, POLL_MS );
			}, function () {
				setTimeout( poll, POLL_MS * 5 ); // the server is busy or gone: try again later
			} );
		}
		setTimeout( poll, POLL_MS );
	} );
}( jQuery, mediaWiki ) );
