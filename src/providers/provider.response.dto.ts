import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STACKONE_CATEGORIES } from '../stackone/stackone.categories';

export class ProviderResponseDto {
  @ApiProperty({ description: 'Provider key (use it as `provider` in a connect session)', example: 'hibob' })
  provider: string;

  @ApiProperty({ description: 'Display name', example: 'HiBob' })
  name: string;

  @ApiProperty({ description: 'Category', enum: STACKONE_CATEGORIES, example: 'hris' })
  category: string;

  @ApiPropertyOptional({ description: 'Logo URL', example: 'https://stackone-logos.com/api/hibob/filled/png' })
  logoUrl?: string;

  @ApiPropertyOptional({ description: 'Release stage', example: 'ga' })
  releaseStage?: string;
}

/**
 * The same envelope as the other lists (GET /v1/accounts, /v1/connect-sessions), so one reader
 * serves all. The catalogue is short and cached, so it is always one complete page.
 */
export class ProviderListResponseDto {
  @ApiProperty({ type: [ProviderResponseDto], description: 'The connectors you may offer' })
  data: ProviderResponseDto[];

  @ApiProperty({ description: 'Always 1: the whole list is one page', example: 1 })
  page: number;

  @ApiProperty({ description: 'The number of connectors in `data`', example: 2 })
  pageSize: number;

  @ApiProperty({ description: 'Always false: nothing follows this page', example: false })
  hasMore: boolean;
}
