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
