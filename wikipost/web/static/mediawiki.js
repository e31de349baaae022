/*!
 * Wikipost's own implementation of the client-side `mw` object that MediaWiki user scripts use:
 * mw.config, mw.Api (get, post, postWithToken, getToken, postWithEditToken, login), mw.user,
 * mw.util and small parts of mw.loader / mw.hook. Written for Wikipost; it follows the
 * documented behaviour of MediaWiki's client so that scripts written for a wiki run unchanged.
 * Needs jQuery (served from the XStatic-jQuery package).
 */
( function ( $ ) {
	'use strict';

	function Map( values ) {
		this.values = values || {};
	}
	Map.prototype.get = function ( selection, fallback ) {
		var self = this, out;
		if ( arguments.length === 0 ) {
			return $.extend( {}, this.values );
		}
		if ( Array.isArray( selection ) ) {
			out = {};
			selection.forEach( function ( key ) {
				out[ key ] = self.get( key, fallback );
			} );
			return out;
		}
		if ( Object.prototype.hasOwnProperty.call( this.values, selection ) ) {
			return this.values[ selection ];
		}
		return fallback === undefined ? null : fallback;
	};
	Map.prototype.set = function ( selection, value ) {
		var self = this;
		if ( typeof selection === 'object' && selection !== null ) {
			Object.keys( selection ).forEach( function ( key ) {
				self.values[ key ] = selection[ key ];
			} );
			return true;
		}
		if ( typeof selection === 'string' && arguments.length > 1 ) {
			this.values[ selection ] = value;
			return true;
		}
		return false;
	};
	Map.prototype.exists = function ( key ) {
		return Object.prototype.hasOwnProperty.call( this.values, key );
	};

	var configElement = document.getElementById( 'mw-config-data' );
	var mw = window.mw = window.mediaWiki = {
		Map: Map,
		config: new Map( configElement ? JSON.parse( configElement.textContent ) : {} ),
		messages: new Map( {} )
	};

	// --- mw.hook, mw.loader, mw.msg, mw.notify: just enough for common user scripts ---------

	var hooks = {};
	mw.hook = function ( name ) {
		var list = hooks[ name ] || ( hooks[ name ] = { handlers: [], fired: null } );
		return {
			add: function () {
				var fns = Array.prototype.slice.call( arguments );
				fns.forEach( function ( fn ) {
					list.handlers.push( fn );
					if ( list.fired ) {
						fn.apply( null, list.fired );
					}
				} );
				return this;
			},
			remove: function ( fn ) {
				list.handlers = list.handlers.filter( function ( h ) {
					return h !== fn;
				} );
				return this;
			},
			fire: function () {
				var args = Array.prototype.slice.call( arguments );
				list.fired = args;
				list.handlers.forEach( function ( fn ) {
					fn.apply( null, args );
				} );
				return this;
			}
		};
	};
	mw.loader = {
		using: function ( modules, ready ) {
			var done = $.Deferred().resolve( function () {} ).promise();
			if ( typeof ready === 'function' ) {
				done.then( ready );
			}
			return done;
		},
		load: function () {},
		getState: function () {
			return 'ready';
		}
	};
	mw.msg = mw.message = function ( key ) {
		var text = mw.messages.get( key, '⧼' + key + '⧽' );
		return { text: function () {
			return text;
		}, plain: function () {
			return text;
		}, escaped: function () {
			return $( '<span>' ).text( text ).html();
		}, toString: function () {
			return text;
		} };
	};
	mw.notify = function ( message ) {
		var area = document.getElementById( 'mw-notification-area' );
		if ( !area ) {
			area = document.createElement( 'div' );
			area.id = 'mw-notification-area';
			area.setAttribute( 'role', 'status' );
			document.body.appendChild( area );
		}
		var note = document.createElement( 'div' );
		note.className = 'mw-notification';
		note.textContent = typeof message === 'string' ? message : $( message ).text();
		area.appendChild( note );
		return $.Deferred().resolve().promise();
	};

	// --- mw.util ----------------------------------------------------------------------------

	function wikiUrlencode( title ) {
		return encodeURIComponent( String( title ).replace( / /g, '_' ) )
			.replace( /%3A/g, ':' ).replace( /%2F/g, '/' );
	}
	mw.util = {
		wikiUrlencode: wikiUrlencode,
		wikiScript: function ( str ) {
			str = str || 'index';
			return mw.config.get( 'wgScriptPath' ) + '/' + str + '.php';
		},
		getUrl: function ( title, params ) {
			title = typeof title === 'string' ? title : mw.config.get( 'wgPageName' );
			if ( params && !$.isEmptyObject( params ) ) {
				return mw.util.wikiScript() + '?' + $.param( $.extend( { title: title.replace( / /g, '_' ) }, params ) );
			}
			return mw.config.get( 'wgArticlePath' ).replace( '$1', wikiUrlencode( title ) );
		},
		getParamValue: function ( param, url ) {
			var match = new RegExp( '[?&]' + param.replace( /[.*+?^${}()|[\]\\]/g, '\\$&' ) + '=([^&#]*)' )
				.exec( url || location.href );
			return match ? decodeURIComponent( match[ 1 ].replace( /\+/g, ' ' ) ) : null;
		},
		addPortletLink: function ( portletId, href, text, id, tooltip ) {
			var portlet = document.getElementById( portletId );
			if ( !portlet ) {
				return null;
			}
			var list = portlet.querySelector( 'ul' ) || portlet.appendChild( document.createElement( 'ul' ) );
			var item = document.createElement( 'li' );
			var link = document.createElement( 'a' );
			if ( id ) {
				item.id = id;
			}
			link.href = href;
			link.textContent = text;
			if ( tooltip ) {
				link.title = tooltip;
			}
			item.appendChild( link );
			list.appendChild( item );
			return item;
		}
	};

	// --- mw.user ----------------------------------------------------------------------------

	mw.user = {
		tokens: new Map( {} ),
		options: new Map( {} ),
		getName: function () {
			return mw.config.get( 'wgUserName' );
		},
		getId: function () {
			return mw.config.get( 'wgUserId' ) || 0;
		},
		isAnon: function () {
			return mw.config.get( 'wgUserName' ) === null;
		},
		isNamed: function () {
			return !mw.user.isAnon();
		},
		getGroups: function ( callback ) {
			var groups = mw.config.get( 'wgUserGroups', [] );
			if ( callback ) {
				callback( groups );
			}
			return $.Deferred().resolve( groups ).promise();
		}
	};

	// --- mw.Api -----------------------------------------------------------------------------

	var LEGACY_TOKEN_TYPES = [ 'edit', 'delete', 'protect', 'move', 'block', 'unblock', 'email', 'import', 'options' ];
	var tokenCache = {};

	function Api( options ) {
		options = options || {};
		var url = ( options.ajax && options.ajax.url ) || mw.util.wikiScript( 'api' );
		this.defaults = {
			parameters: $.extend( { action: 'query', format: 'json' }, options.parameters ),
			ajax: $.extend( { url: url, timeout: 30 * 1000, dataType: 'json' }, options.ajax )
		};
		this.requests = [];
	}

	/** Arrays become '|'-joined (or \x1f-joined when a value holds '|'); false and undefined drop out. */
	Api.prototype.preprocessParameters = function ( parameters ) {
		Object.keys( parameters ).forEach( function ( key ) {
			var value = parameters[ key ];
			if ( Array.isArray( value ) ) {
				var joined = value.join( '' );
				parameters[ key ] = joined.indexOf( '|' ) !== -1 ? '\x1f' + value.join( '\x1f' ) : value.join( '|' );
			} else if ( value === false || value === undefined || value === null ) {
				delete parameters[ key ];
			}
		} );
	};

	Api.prototype.ajax = function ( parameters, ajaxOptions ) {
		var api = this, deferred = $.Deferred(), xhr;
		parameters = $.extend( {}, this.defaults.parameters, parameters );
		ajaxOptions = $.extend( {}, this.defaults.ajax, ajaxOptions );
		if ( parameters.token ) {
			// Like MediaWiki's client: the token goes last, so a cut-off body lacks it.
			var token = parameters.token;
			delete parameters.token;
			parameters.token = token;
		}
		this.preprocessParameters( parameters );
		if ( ajaxOptions.type === 'POST' ) {
			ajaxOptions.data = $.param( parameters );
		} else {
			ajaxOptions.url += ( ajaxOptions.url.indexOf( '?' ) !== -1 ? '&' : '?' ) + $.param( parameters );
			delete ajaxOptions.data;
		}
		xhr = $.ajax( ajaxOptions ).done( function ( result, textStatus, jqXHR ) {
			var code;
			if ( result === undefined || result === null || result === '' ) {
				deferred.reject( 'ok-but-empty', 'OK response but empty result (check HTTP headers?)', result, jqXHR );
			} else if ( result.error || result.errors ) {
				code = result.error ? result.error.code : 'unknown';
				if ( !result.error && result.errors && result.errors[ 0 ] ) {
					code = result.errors[ 0 ].code;
				}
				deferred.reject( code, result, result, jqXHR );
			} else {
				deferred.resolve( result, jqXHR );
			}
		} ).fail( function ( jqXHR, textStatus, exception ) {
			deferred.reject( 'http', { xhr: jqXHR, textStatus: textStatus, exception: exception } );
		} );
		api.requests.push( xhr );
		return deferred.promise( { abort: function () {
			xhr.abort();
		} } );
	};

	Api.prototype.get = function ( parameters, ajaxOptions ) {
		return this.ajax( parameters, $.extend( {}, ajaxOptions, { type: 'GET' } ) );
	};

	Api.prototype.post = function ( parameters, ajaxOptions ) {
		return this.ajax( parameters, $.extend( {}, ajaxOptions, { type: 'POST' } ) );
	};

	Api.prototype.abort = function () {
		this.requests.forEach( function ( xhr ) {
			xhr.abort();
		} );
		this.requests = [];
	};

	function normaliseTokenType( type ) {
		return LEGACY_TOKEN_TYPES.indexOf( type ) !== -1 ? 'csrf' : type;
	}

	Api.prototype.getToken = function ( type, assert ) {
		var api = this;
		type = normaliseTokenType( type );
		var key = api.defaults.ajax.url + '|' + type;
		var cached = tokenCache[ key ];
		if ( cached ) {
			return cached;
		}
		var promise = this.get( { action: 'query', meta: 'tokens', type: type, assert: assert } )
			.then( function ( res ) {
				var token = res.query && res.query.tokens && res.query.tokens[ type + 'token' ];
				if ( !token ) {
					return $.Deferred().reject( 'token-missing', res );
				}
				return token;
			} );
		promise.fail( function () {
			delete tokenCache[ key ];
		} );
		tokenCache[ key ] = promise;
		return promise;
	};

	Api.prototype.badToken = function ( type ) {
		delete tokenCache[ this.defaults.ajax.url + '|' + normaliseTokenType( type ) ];
	};

	/** Post with a token of ``tokenType``; on ``badtoken`` fetch a fresh token and retry once. */
	Api.prototype.postWithToken = function ( tokenType, params, ajaxOptions ) {
		var api = this;
		var assertParam = params.assert;
		function attempt() {
			return api.getToken( tokenType, assertParam ).then( function ( token ) {
				return api.post( $.extend( {}, params, { token: token } ), ajaxOptions );
			} );
		}
		return attempt().then( null, function ( code ) {
			if ( code === 'badtoken' ) {
				api.badToken( tokenType );
				return attempt();
			}
			var failed = $.Deferred();
			failed.reject.apply( failed, arguments );
			return failed.promise();
		} );
	};

	Api.prototype.postWithEditToken = function ( params, ajaxOptions ) {
		return this.postWithToken( 'csrf', params, ajaxOptions );
	};

	Api.prototype.getEditToken = function () {
		return this.getToken( 'csrf' );
	};

	Api.prototype.login = function ( username, password ) {
		var api = this;
		return this.getToken( 'login' ).then( function ( token ) {
			return api.post( { action: 'login', lgname: username, lgpassword: password, lgtoken: token } );
		} ).then( function ( data ) {
			api.badToken( 'login' );
			Object.keys( tokenCache ).forEach( function ( key ) {
				delete tokenCache[ key ];
			} );
			if ( data.login && data.login.result === 'Success' ) {
				return data;
			}
			return $.Deferred().reject( data.login ? data.login.result : 'unknown', data );
		} );
	};

	Api.prototype.saveOption = function ( name, value ) {
		var change = {};
		change[ name ] = value;
		return this.saveOptions( change );
	};

	Api.prototype.saveOptions = function ( options ) {
		var changes = Object.keys( options ).map( function ( name ) {
			return options[ name ] === null ? name : name + '=' + options[ name ];
		} );
		return this.postWithToken( 'csrf', { action: 'options', change: changes } );
	};

	mw.Api = Api;

	$( function () {
		mw.hook( 'wikipage.content' ).fire( $( '#mw-content-text' ) );
	} );
}( jQuery ) );
