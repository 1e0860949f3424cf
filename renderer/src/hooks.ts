/** Data loading per panel: each panel owns its loading and error state. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SerializedError } from '../../core/api/errors.js';
import type { ApiMethod, ApiRequest, ApiResult } from '../../core/api/methods.js';
import { call, serialized } from './api.js';

export interface Query<T> {
  data: T | undefined;
  error: SerializedError | undefined;
  loading: boolean;
  reload(): void;
}

/** Calls `method` on mount, when `params` (compared as JSON) change, and on reload(). */
export function useQuery<M extends ApiMethod>(
  method: M,
  params: ApiRequest<M>,
  refreshKey = 0,
): Query<ApiResult<M>> {
  const [state, setState] = useState<{
    data?: ApiResult<M>;
    error?: SerializedError;
    loading: boolean;
  }>({ loading: true });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(params);
  const paramsRef = useRef(params);
  paramsRef.current = params;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    call(method, paramsRef.current).then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: serialized(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [method, key, tick, refreshKey]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
