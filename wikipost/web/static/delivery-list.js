/**
 * Delivery lists with JavaScript on (MassMessage's ext.MassMessage.content.js and .create.js).
 *
 * The pages work without this file: every form is a plain POST. With it, the list page's add
 * box and remove buttons go through action=editmassmessagelist (mw.Api, csrf token) and the
 * table is updated in place; on Special:CreateMassMessageList the source box shows only when
 * importing. Text from the wiki is only ever inserted as text nodes, never as HTML.
 */
( function () {
	'use strict';

	// --- Special:CreateMassMessageList ----------------------------------------------------------

	function setUpCreateForm() {
		var $radios = $( 'input[name="wpcontent"]' ),
			$source = $( '#mw-input-wpsource-field' );
		if ( !$radios.length || !$source.length ) {
			return;
		}
		function update() {
			$source.toggle( $radios.filter( ':checked' ).val() === 'import' );
		}
		$radios.on( 'change', update );
		update();
	}

	// --- the list page --------------------------------------------------------------------------

	function showMessage( text, isError ) {
		var $box = $( '#mw-massmessage-jsmessage' );
		if ( !$box.length ) {
			$box = $( '<div>' ).attr( { id: 'mw-massmessage-jsmessage' } )
				.insertBefore( '.mw-massmessage-description' );
		}
		$box.attr( { class: isError ? 'errorbox mw-message-box-error' : 'successbox mw-message-box-success',
			role: isError ? 'alert' : 'status' } )
			.empty().append( $( '<p>' ).text( text ) );
	}

	function sortKey( title, site ) {
		return site ? '1\u0000' + site + '\u0000' + title : '0\u0000\u0000' + title;
	}

	function targetParam( title, site ) {
		if ( site ) {
			return title + '@' + site;
		}
		if ( title.indexOf( '@' ) !== -1 ) {
			var server = mw.config.get( 'wgServer' );
			return title + '@' + server.slice( server.indexOf( '//' ) + 2 );
		}
		return title;
	}

	function makeRow( title, site ) {
		var param = targetParam( title, site ),
			$link = site ? $( '<span>' ).text( title ) :
				$( '<a>' ).attr( 'href', mw.util.getUrl( title ) ).text( title ),
			$button = $( '<button>' ).attr( { type: 'submit', name: 'wpRemove', value: param, class: 'destructive',
				'aria-label': 'Remove ' + param } ).text( 'remove' );
		return $( '<tr>' ).addClass( 'mw-massmessage-target' )
			.attr( { 'data-target': param, 'data-title': title, 'data-site': site || 'local' } )
			.append(
				$( '<td>' ).addClass( 'mw-massmessage-targetlink' ).append( $link ),
				$( '<td>' ).addClass( 'mw-massmessage-targetsite' ).text( site || '' ),
				$( '<td>' ).addClass( 'mw-massmessage-removelink' ).append( $button )
			);
	}

	function insertRow( title, site ) {
		var $body = $( '#mw-massmessage-contenttable tbody' ),
			key = sortKey( title, site ),
			$row = makeRow( title, site ),
			placed = false;
		if ( !$body.length ) {
			// The list was empty when the page was drawn: reload to get the table.
			location.reload();
			return;
		}
		$body.children( 'tr' ).each( function () {
			var $other = $( this ), site2 = $other.attr( 'data-site' );
			if ( !placed && sortKey( $other.attr( 'data-title' ), site2 === 'local' ? '' : site2 ) > key ) {
				$row.insertBefore( $other );
				placed = true;
			}
		} );
		if ( !placed ) {
			$body.append( $row );
		}
	}

	function apiError( code, result ) {
		var info = result && result.error && result.error.info;
		return 'API Error: ' + ( info ? code + ' (' + info + ')' : code );
	}

	function setUpListPage() {
		var $addForm = $( '#mw-massmessage-addform' ),
			spamlist = mw.config.get( 'wgPageName' );
		if ( !$addForm.length ) {
			return;
		}

		$addForm.on( 'submit', function ( e ) {
			var $input = $( '#mw-massmessage-addtitle' ), value = $input.val().trim();
			e.preventDefault();
			if ( value === '' ) {
				return;
			}
			new mw.Api().postWithToken( 'csrf', { action: 'editmassmessagelist', spamlist: spamlist, add: value } )
				.done( function ( data ) {
					var result = data.editmassmessagelist, page;
					if ( result.invalidadd && result.invalidadd.length ) {
						page = result.invalidadd[ 0 ];
						if ( 'invalidtitle' in page && 'invalidsite' in page ) {
							showMessage( 'The title and site are invalid.', true );
						} else if ( 'invalidtitle' in page ) {
							showMessage( 'The title is invalid.', true );
						} else {
							showMessage( 'The site is invalid.', true );
						}
					} else if ( !result.added.length ) {
						showMessage( 'The page is already in the list.', true );
					} else {
						page = result.added[ 0 ];
						insertRow( page.title, page.site || '' );
						showMessage( 'Added ' + ( page.site ? page.title + ' on ' + page.site : page.title ) +
							' to the list.', false );
						$input.val( '' );
					}
				} )
				.fail( function ( code, result ) {
					showMessage( apiError( code, result ), true );
				} );
		} );

		$( '#mw-massmessage-removeform' ).on( 'click', 'button[name="wpRemove"]', function ( e ) {
			var $button = $( this ), param = $button.val();
			e.preventDefault();
			new mw.Api().postWithToken( 'csrf', { action: 'editmassmessagelist', spamlist: spamlist, remove: param } )
				.done( function ( data ) {
					var result = data.editmassmessagelist, $table;
					if ( !result.removed.length ) {
						showMessage( 'Removing the page failed with error code invalidremove.', true );
						return;
					}
					$button.closest( 'tr' ).remove();
					$table = $( '#mw-massmessage-contenttable' );
					if ( !$table.find( 'tbody tr' ).length ) {
						$( '#mw-massmessage-removeform' ).replaceWith(
							$( '<p>' ).addClass( 'mw-massmessage-emptylist' ).text( 'There are no pages in this list.' )
						);
					}
					showMessage( 'Removed ' + param + ' from the list.', false );
				} )
				.fail( function ( code ) {
					showMessage( 'Removing the page failed with error code ' + code + '.', true );
				} );
		} );
	}

	$( function () {
		setUpCreateForm();
		setUpListPage();
	} );
}() );
